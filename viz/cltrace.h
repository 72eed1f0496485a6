/* cltrace.h — a classic Chandy–Lamport simulator trace read for pictures:
 * the process graph (cl_graph), every token message with its send and
 * receive (cl_send, cl_recv: only with `trace: records`), every marker
 * (marker_sent, marker_received), and per snapshot what each process and
 * channel recorded (cl_recorded, cl_channel_recorded, cl_snapshot_completed,
 * cl_snapshot_abandoned).
 * Events it does not know are skipped, except that those with a time
 * (the crash among them) are kept as marks to draw on the process's lane.
 *
 * Where a message lies relative to snapshot k's cut is decided from counts,
 * not times: on channel P→Q, P had sent E messages when it recorded, Q had
 * received R when it recorded, and Q recorded the messages it received as
 * number R+1 … R+m (m as traced: 0 under the drop-channel-state mutant). A
 * message sent as number s and received as number r is
 *   before      s <= E, r <= R          after       s > E, r > R (or never)
 *   recorded    s <= E, R < r <= R+m    (channel state, rightly)
 *   missed      s <= E, r > R+m or never received: in flight, not recorded
 *   orphan      s > E, r <= R: received before the cut, sent after it
 *   extra       s > E, R < r <= R+m: recorded, but the sender's balance
 *               still held it (a marker overtaken: counted twice)
 * The last three are what breaks conservation.
 *
 * A process crash is recovered by a global rollback (cl_restore), after
 * which every channel numbers its messages again from a base count (the
 * receiver's count in the restored snapshot; the recorded messages put back
 * in flight are traced as cl_send with "replayed": true). The reader maps
 * that numbering onto indices that only grow: per channel, one offset for
 * the send numbering and one for the receive numbering, taken at each
 * cl_restore so that the next number follows the highest seen so far;
 * every count read afterwards (seq, sent_seq, cl_recorded's) has it added
 * (marker positions are not read: markers are placed by their times).
 * Each message and snapshot has the *generation* it belongs to (0 before
 * the first rollback, one more after each): a snapshot's cut is about its
 * own generation's messages only. An older one's (received, or lost in
 * flight at the crash) are classed before the cut of a newer snapshot, a
 * newer one's after the cut of an older snapshot, and the pictures leave
 * both out. The restore is kept as a mark too. */
#ifndef SB_CLTRACE_H
#define SB_CLTRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define SB_CLTRACE_PROCESSES_MAX 64
#define SB_CLTRACE_CHANNELS_MAX 4096
#define SB_CLTRACE_SNAPSHOTS_MAX 64
#define SB_CLTRACE_MARKS_MAX 256
#define SB_CLTRACE_MESSAGES_MAX (1 << 24) /* per channel */

typedef enum sb_clclass {
    SB_CLCLASS_BEFORE = 0,
    SB_CLCLASS_AFTER,
    SB_CLCLASS_RECORDED,
    SB_CLCLASS_MISSED,
    SB_CLCLASS_ORPHAN,
    SB_CLCLASS_EXTRA,
    SB_CLCLASS_COUNT_,
} sb_clclass_t;

typedef struct sb_clmsg {
    int64_t send_ns;
    int64_t recv_ns;       /* -1: not received */
    int64_t recv_index;    /* its number among the channel's receives; 0: none */
    int64_t tokens;
    int generation;        /* rollbacks before it was sent */
    bool replayed;         /* put back in flight by a rollback */
} sb_clmsg_t;              /* msgs[s - 1] is the message sent as index s */

typedef struct sb_clmarker {
    int64_t send_ns;       /* -1: not sent */
    int64_t recv_ns;       /* -1: not received */
} sb_clmarker_t;

typedef struct sb_clchannel {
    int from, to;
    sb_clmsg_t *msgs;
    int64_t count, cap;    /* count: the highest send index */
    int64_t received;      /* the highest receive index */
    int64_t send_offset;   /* added to the send numbering: index = number + offset */
    int64_t recv_offset;   /* added to the receive numbering */
} sb_clchannel_t;

/* Snapshot k of one channel, as its two ends recorded it. */
typedef struct sb_clcut {
    int64_t sent;          /* E: the sender's count at its record; -1: none */
    int64_t received;      /* R: the receiver's count at its record; -1: none */
    int64_t messages;      /* m: recorded as channel state; -1: not recorded */
    int64_t tokens;
    int generation;        /* the snapshot's */
    sb_clmarker_t marker;
} sb_clcut_t;

typedef struct sb_clsnapshot {
    bool seen;
    int64_t completed_ns;  /* -1: never completed */
    int64_t abandoned_ns;  /* -1: not abandoned (a crash came while it was in progress) */
    int generation;        /* rollbacks before its first event */
    int64_t generation_from_ns; /* its generation: from the rollback that began it (0) */
    int64_t generation_to_ns;   /* to the next rollback; -1: to the end */
    int64_t record_ns[SB_CLTRACE_PROCESSES_MAX];  /* -1: the process did not record */
    int64_t balance[SB_CLTRACE_PROCESSES_MAX];
    bool initiator[SB_CLTRACE_PROCESSES_MAX];
    sb_clcut_t *cuts;      /* [channels] */
} sb_clsnapshot_t;

typedef struct sb_clmark {
    int64_t ns;
    int process;           /* -1: every process */
    char event[24];
} sb_clmark_t;

typedef struct sb_cltrace {
    int processes;
    int channels_count;
    sb_clchannel_t *channels;
    int64_t total;         /* tokens */
    bool fifo;
    bool records_traced;   /* cl_send lines present */
    int64_t end_ns;        /* the last event's time */
    int generations;       /* 1 + the rollbacks (cl_restore) */
    sb_clsnapshot_t snapshots[SB_CLTRACE_SNAPSHOTS_MAX + 1]; /* by id, from 1 */
    sb_clmark_t marks[SB_CLTRACE_MARKS_MAX];
    int marks_count;
} sb_cltrace_t;

/* Reads path; -1 with "FILE:LINE: why" when it is not a classic trace or
 * an event is malformed. Free with sb_cltrace_free even on failure. */
int sb_cltrace_load(sb_cltrace_t *t, const char *path, sb_err_t *err);
void sb_cltrace_free(sb_cltrace_t *t);

/* The class of message m, sent as index sent_as, for a cut (its counts as
 * indices); a message of another generation: before or after. */
sb_clclass_t sb_cltrace_class(const sb_clcut_t *cut, int64_t sent_as, const sb_clmsg_t *m);
const char *sb_clclass_name(sb_clclass_t c);
/* missed, orphan and extra: the classes that break the snapshot. */
bool sb_clclass_wrong(sb_clclass_t c);

#endif
