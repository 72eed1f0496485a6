/* Args — the `--key value` pairs of SnapbedJob and Produce, checked one by
 * one so that a bad submission fails with one sentence naming the key.
 *
 * main() runs inside the JobManager when the job is submitted over REST, so
 * a bad argument must not System.exit() (that would end the JobManager):
 * it throws BadArgs, which /jars/<id>/run reports in its "errors" answer and
 * which a command-line run prints as one line (see SnapbedJob.main). */
package snapbed.flink;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

final class Args {
    /* A usage error: the message is the whole sentence. */
    static final class BadArgs extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadArgs(String message) {
            super(message);
        }
    }

    private final String program;
    private final Map<String, String> values = new HashMap<>();

    private Args(String program) {
        this.program = program;
    }

    /* Every key must be one of `known` and given once, each with a value. */
    static Args parse(String program, String[] argv, Set<String> known) {
        Args a = new Args(program);
        for (int i = 0; i < argv.length; i += 2) {
            String k = argv[i];
            if (!k.startsWith("--") || !known.contains(k.substring(2))) {
                throw a.bad("unknown argument '" + k + "' (known: --" + String.join(", --", known.stream().sorted().toList()) + ")");
            }
            if (i + 1 >= argv.length) {
                throw a.bad(k + " needs a value");
            }
            if (a.values.put(k.substring(2), argv[i + 1]) != null) {
                throw a.bad(k + " is given twice");
            }
        }
        return a;
    }

    BadArgs bad(String sentence) {
        return new BadArgs(program + ": " + sentence);
    }

    boolean has(String key) {
        return values.containsKey(key);
    }

    String string(String key, String dflt) {
        String v = values.get(key);
        if (v == null) {
            if (dflt == null) {
                throw bad("--" + key + " is required");
            }
            return dflt;
        }
        return v;
    }

    /* A non-empty string without control characters. */
    String word(String key, String dflt) {
        String v = string(key, dflt);
        if (v.isEmpty() || v.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw bad("--" + key + " must be a non-empty word, got '" + v + "'");
        }
        return v;
    }

    long number(String key, long dflt, long min, long max) {
        String v = values.get(key);
        if (v == null) {
            return dflt;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw bad("--" + key + " must be a whole number, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw bad("--" + key + " must be from " + min + " to " + max + ", got " + n);
        }
        return n;
    }

    boolean bool(String key, boolean dflt) {
        String v = values.get(key);
        if (v == null) {
            return dflt;
        }
        switch (v) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw bad("--" + key + " must be true or false, got '" + v + "'");
        }
    }

    String choice(String key, String dflt, String... allowed) {
        String v = string(key, dflt);
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw bad("--" + key + " must be one of " + String.join(", ", allowed) + ", got '" + v + "'");
    }

    /* host:port[,host:port...], every port a number from 1 to 65535. */
    String bootstrap(String key) {
        String v = string(key, null);
        for (String hp : v.split(",", -1)) {
            int colon = hp.lastIndexOf(':');
            boolean ok = colon > 0 && colon < hp.length() - 1;
            if (ok) {
                try {
                    int port = Integer.parseInt(hp.substring(colon + 1));
                    ok = port >= 1 && port <= 65535;
                } catch (NumberFormatException e) {
                    ok = false;
                }
            }
            if (!ok) {
                throw bad("--" + key + " must be HOST:PORT[,HOST:PORT...], got '" + v + "'");
            }
        }
        return v;
    }
}
