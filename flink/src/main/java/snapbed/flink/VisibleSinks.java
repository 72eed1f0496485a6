/* VisibleSinks — the two sinks that are wrong on purpose, the negative
 * controls of docs/flink.md. Both name their files as Flink 1.20's FileSink
 * does, part-<uuid>-<counter> (the uuid new for each writer, i.e. each
 * subtask in each attempt; the subtask index is not in the name), and
 * hidden files start with '.', so the checker reads all three sinks'
 * output the same way.
 *
 * - Direct (`--sink at-least-once`): no transaction at all. Each record is
 *   written to a visible file the moment it arrives. A restart replays from
 *   the last completed checkpoint, so everything written after it is
 *   written again: duplicates. Each task attempt gets a fresh uuid, hence a
 *   new file part-<uuid>-0, so the replay cannot truncate what the attempt before it
 *   wrote: the duplicates stay visible.
 * - Early (`--sink commit-early`): a two-phase sink with its commit in the
 *   wrong place. Records go to a hidden in-progress file, made visible by a
 *   rename in flush(), which Flink calls when the checkpoint is TAKEN (in
 *   prepareSnapshotPreBarrier, before the barrier goes on), not when it
 *   COMPLETES. If the checkpoint then fails or the task dies before every
 *   subtask acknowledged it, the job restores an older checkpoint and
 *   writes those records again.
 *
 * Neither keeps state: on restore they simply start new files. The
 * uuid plays the role of FileSink's per-writer uuid. */
package snapbed.flink;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

final class VisibleSinks {
    private VisibleSinks() {}

    static byte[] lineBytes(String line) {
        return (line + "\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    static File folder(String dir) throws IOException {
        File d = new File(dir);
        Files.createDirectories(d.toPath());
        return d;
    }

    /* A sink writing into one folder; Flink 1.20 still declares the
     * InitContext overload abstract, the runtime calls the other one. */
    private abstract static class FolderSink implements Sink<String> {
        private static final long serialVersionUID = 1L;
        final String dir;

        FolderSink(String dir) {
            this.dir = dir;
        }

        @Override
        public abstract SinkWriter<String> createWriter(WriterInitContext context) throws IOException;

        @Override
        @Deprecated
        public SinkWriter<String> createWriter(InitContext context) {
            throw new UnsupportedOperationException("Flink calls createWriter(WriterInitContext)");
        }
    }

    /* ---- at-least-once: every record visible at once ---------------------- */
    static final class Direct extends FolderSink {
        private static final long serialVersionUID = 1L;

        Direct(String dir) {
            super(dir);
        }

        @Override
        public SinkWriter<String> createWriter(WriterInitContext context) throws IOException {
            File f = new File(folder(dir), "part-" + UUID.randomUUID() + "-0");
            return new DirectWriter(new FileOutputStream(f));
        }
    }

    private static final class DirectWriter implements SinkWriter<String> {
        private final FileOutputStream out;

        DirectWriter(FileOutputStream out) {
            this.out = out;
        }

        /* One write(2) per record, no buffer: visible to a reader at once. */
        @Override
        public void write(String line, Context context) throws IOException {
            out.write(lineBytes(line));
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /* ---- commit-early: visible when the checkpoint is taken --------------- */
    static final class Early extends FolderSink {
        private static final long serialVersionUID = 1L;

        Early(String dir) {
            super(dir);
        }

        @Override
        public SinkWriter<String> createWriter(WriterInitContext context) throws IOException {
            return new EarlyWriter(folder(dir));
        }
    }

    private static final class EarlyWriter implements SinkWriter<String> {
        private final File dir;
        private final String stem; /* part-<uuid>- */
        private long counter;
        private File hidden;
        private FileOutputStream out;

        EarlyWriter(File dir) {
            this.dir = dir;
            this.stem = "part-" + UUID.randomUUID() + "-";
        }

        @Override
        public void write(String line, Context context) throws IOException {
            if (out == null) {
                hidden = new File(dir, "." + stem + counter + ".inprogress");
                out = new FileOutputStream(hidden);
            }
            out.write(lineBytes(line));
        }

        /* Called as the checkpoint is taken (and at the end of the input):
         * the "commit", too early. No records, no file. */
        @Override
        public void flush(boolean endOfInput) throws IOException {
            if (out == null) {
                return;
            }
            out.getFD().sync();
            out.close();
            out = null;
            Files.move(hidden.toPath(), new File(dir, stem + counter).toPath(), StandardCopyOption.ATOMIC_MOVE);
            counter++;
        }

        /* A cancelled or failed attempt leaves its hidden file: not output. */
        @Override
        public void close() throws IOException {
            if (out != null) {
                out.close();
            }
        }
    }
}
