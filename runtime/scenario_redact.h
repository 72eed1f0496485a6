/* scenario_redact.h — a scenario's text with its credentials taken out,
 * whatever YAML form they were written in.
 *
 * `snapbed run` copies the scenario into the run folder (the worker reads
 * it, report.html quotes it). The S3 credentials (s3.access-key,
 * s3.secret-key) must not travel with it: they reach the worker through its
 * environment. A line-by-line search misses a quoted key
 * (`"s3.secret-key": x`), a flow mapping, an anchor and a folded or literal
 * block scalar whose value is on the following lines; so the file is parsed
 * with libyaml, and the byte span of each credential value is cut from the
 * original text and replaced. Everything else — comments, layout, key
 * order — stays as the author wrote it. */
#ifndef SB_SCENARIO_REDACT_H
#define SB_SCENARIO_REDACT_H

#include "err.h"

#include <stddef.h>

/* What a credential's value becomes (the YAML scalar, quoted). */
#define SB_SCENARIO_REDACTED_VALUE "(redacted: from the environment)"

/* A scenario is a page of YAML; a bigger file is refused, not redacted. */
#define SB_SCENARIO_REDACT_BYTES_MAX (1024 * 1024)

/* Redacts text[0..len) (UTF-8; `name` only names it in messages). On
 * success *out is a NUL-terminated malloc'd copy (free it), *out_len its
 * length. Fails, with nothing allocated, when the text is not YAML, not
 * UTF-8, or when the result would still hold a credential: it is re-parsed
 * and every credential key must read SB_SCENARIO_REDACTED_VALUE, and a
 * value of 6 bytes or more found anywhere else (a comment, another key) is
 * refused rather than copied. */
int sb_scenario_redact(const char *name, const char *text, size_t len, char **out,
                       size_t *out_len, sb_err_t *err);

/* Reads the file at `path` (at most SB_SCENARIO_REDACT_BYTES_MAX bytes) and
 * redacts it as above. */
int sb_scenario_redact_file(const char *path, char **out, size_t *out_len, sb_err_t *err);

#endif
