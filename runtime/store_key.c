/* store_key.c — the names inside an object store (store_key.h). */
#include "store_key.h"

#include <stdio.h>
#include <string.h>

#include "store.h"

int sb_store_key_check(const char *key, sb_err_t *err)
{
    if (key[0] == '\0' || key[0] == '/' || strstr(key, "..") != NULL ||
        strlen(key) >= SB_STORE_KEY_BYTES_MAX)
        return sb_err_set(err, "invalid object key '%s'", key);
    return 0;
}

int sb_store_key_check_upload_id(const char *upload_id, sb_err_t *err)
{
    if (upload_id[0] == '\0' || upload_id[0] == '.' || strchr(upload_id, '/') != NULL ||
        strlen(upload_id) >= SB_STORE_UPLOAD_ID_BYTES_MAX)
        return sb_err_set(err, "invalid upload id '%s'", upload_id);
    return 0;
}

int sb_store_key_check_part_number(int part_number, sb_err_t *err)
{
    if (part_number < 1 || part_number > SB_STORE_PART_NUMBER_MAX)
        return sb_err_set(err, "part number %d out of range 1..%d", part_number,
                          SB_STORE_PART_NUMBER_MAX);
    return 0;
}

int sb_store_key_split(const char *name_and_prefix, char *name, size_t name_len,
                       char *prefix, size_t prefix_len)
{
    const char *slash = strchr(name_and_prefix, '/');
    size_t nl = slash ? (size_t)(slash - name_and_prefix) : strlen(name_and_prefix);
    if (nl == 0 || nl >= name_len)
        return -1;
    memcpy(name, name_and_prefix, nl);
    name[nl] = '\0';
    const char *p = slash ? slash + 1 : "";
    while (*p == '/')
        p++;
    snprintf(prefix, prefix_len, "%s", p);
    size_t pl = strlen(prefix);
    while (pl > 0 && prefix[pl - 1] == '/')
        prefix[--pl] = '\0';
    return 0;
}

int sb_store_key_full(const char *prefix, const char *key, char *buf, size_t len)
{
    return snprintf(buf, len, "%s%s%s", prefix, prefix[0] ? "/" : "", key);
}

const char *sb_store_key_relative(const char *prefix, const char *full)
{
    size_t pl = strlen(prefix);
    if (pl == 0)
        return full;
    if (strncmp(full, prefix, pl) != 0 || full[pl] != '/')
        return NULL;
    return full + pl + 1;
}
