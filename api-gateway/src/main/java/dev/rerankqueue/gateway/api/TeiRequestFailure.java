package dev.rerankqueue.gateway.api;

/** A failure of a TEI-shaped request: answered in TEI's error shape ({@link DropInErrors#tei}). */
final class TeiRequestFailure extends RuntimeException {

    TeiRequestFailure(Throwable cause) {
        super(cause.getMessage(), cause, false, false);
    }
}
