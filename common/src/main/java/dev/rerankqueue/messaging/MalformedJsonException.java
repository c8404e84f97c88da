package dev.rerankqueue.messaging;

/** Bytes that are not JSON at all (a 400 at the HTTP edge, a DLQ record in the worker). */
public class MalformedJsonException extends RuntimeException {

    public MalformedJsonException(String message, Throwable cause) {
        super(message, cause);
    }
}
