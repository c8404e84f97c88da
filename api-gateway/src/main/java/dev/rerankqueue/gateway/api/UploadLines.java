package dev.rerankqueue.gateway.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * The lines of a stream, each at most {@code limit} bytes kept; a longer line is skipped to its end
 * and reported as overflowed. A stream that sends under {@code minRate} bytes per second of the
 * time spent waiting for it, over {@code rateWindow} of waiting, ends early: {@link #tooSlow()}
 * says so.
 */
final class UploadLines {
    private final InputStream in;
    private final long limit;
    private final long minRate;
    private final long rateWindowNanos;
    private long waitedNanos;
    private long bytesInWindow;
    private RequestException tooSlow;
    private final byte[] buffer = new byte[64 * 1024];
    private int pos;
    private int end;
    private boolean overflowed;
    private boolean eof;

    UploadLines(InputStream in, long limit, long minRate, Duration rateWindow) {
        this.in = in;
        this.limit = limit;
        this.minRate = minRate;
        this.rateWindowNanos = rateWindow.toNanos();
    }

    /** Why the stream ended early for sending too slowly, or {@code null}. */
    RequestException tooSlow() {
        return tooSlow;
    }

    /** The next line without its newline, or {@code null} at the end of the stream. */
    byte[] next() {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        overflowed = false;
        long length = 0;
        while (true) {
            if (pos == end && !fill()) {
                if (tooSlow != null) {
                    return null; // a line cut short by a slow client is not read at all
                }
                return length == 0 && line.size() == 0 && !overflowed ? null : line.toByteArray();
            }
            int start = pos;
            while (pos < end && buffer[pos] != '\n') {
                pos++;
            }
            int n = pos - start;
            length += n;
            if (length > limit) {
                overflowed = true;
            } else {
                line.write(buffer, start, n);
            }
            if (pos < end) { // the newline
                pos++;
                return overflowed ? new byte[0] : line.toByteArray();
            }
        }
    }

    boolean overflowed() {
        return overflowed;
    }

    /** Counts one read; true when the window of waiting it closes came in under the floor. */
    private boolean belowMinRate(long waited, int bytes) {
        if (minRate <= 0) {
            return false;
        }
        waitedNanos += waited;
        bytesInWindow += bytes;
        if (waitedNanos < rateWindowNanos) {
            return false;
        }
        boolean slow = bytesInWindow < minRate * waitedNanos / 1_000_000_000L;
        if (slow) {
            tooSlow =
                    RequestException.uploadTooSlow(
                            bytesInWindow, Duration.ofNanos(waitedNanos), minRate);
        }
        waitedNanos = 0;
        bytesInWindow = 0;
        return slow;
    }

    /** Reads and drops what the client still sends, so it gets the answer. */
    void drain() {
        try {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            // the client went away
        }
    }

    private boolean fill() {
        if (eof) {
            return false;
        }
        try {
            long start = System.nanoTime();
            int n = in.read(buffer);
            if (n <= 0) {
                eof = true;
                return false;
            }
            if (belowMinRate(System.nanoTime() - start, n)) {
                eof = true;
                return false;
            }
            pos = 0;
            end = n;
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("the upload was cut off", e);
        }
    }
}
