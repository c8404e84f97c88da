package dev.rerankqueue.gateway.api.dropin;

/** A failure of a TEI-shaped request: answered in TEI's error shape ({@link DropInErrors#tei}). */
public final class TeiRequestFailure extends RuntimeException {

    TeiRequestFailure(Throwable cause) {
        super(cause.getMessage(), cause, false, false);
    }
}
