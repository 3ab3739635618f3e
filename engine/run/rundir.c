/* rundir.c: the run directory (see rundir.h). */
#include "rundir.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/common.h"
#include "fault.h"
#include "io/npy.h"
#include "sha256.h"

int rundir_fail_taken(const char *dir) {
    char q[16000]; /* the command is for copying: the folder quoted for the shell */
    segp_shell_quote(dir, q, sizeof q);
    rundir_holder h;
    if (rundir_locked(dir, &h)) { /* a run another process writes now: resume would be refused */
        char who[400];
        rundir_holder_text(&h, 1, who, sizeof who);
        return SEGP_FAIL("%s: already exists, and another segp process is writing a run there "
                         "(%s); a run never overwrites another (choose another --out; to "
                         "follow that run: segp tui %s)", dir, who, q);
    }
    return SEGP_FAIL("%s: already exists; a run never overwrites another (choose another --out, "
                     "or continue it with: segp resume %s)", dir, q);
}

int rundir_create(const char *dir) {
    if (!dir[0]) return SEGP_FAIL("the run directory's path is empty (expected --out DIR)");
    if (mkdir(dir, 0755) != 0) {
        struct stat st;
        if (errno == EEXIST && stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
            return SEGP_FAIL("%s: already exists and is not a folder (choose another --out)",
                             dir);
        if (errno == EEXIST) return rundir_fail_taken(dir);
        return SEGP_FAIL("%s: cannot create the run directory: %s", dir, strerror(errno));
    }
    char p[4096];
    rundir_path(dir, "tasks", p, sizeof p);
    if (mkdir(p, 0755) != 0) return SEGP_FAIL("%s: cannot create: %s", p, strerror(errno));
    return 0;
}

void rundir_unmake(const char *dir) {
    char p[4200];
    rundir_path(dir, ".lock", p, sizeof p);
    unlink(p);
    rundir_path(dir, "tasks", p, sizeof p);
    rmdir(p);
    rmdir(dir);
}

/* A name that a run's start (rundir_create, the lock, config.json's record) leaves in DIR. */
static int start_leftover(const char *name) {
    return !strcmp(name, ".lock") || !strcmp(name, "tasks") ||
           !strcmp(name, "config.json.sha256") || !strncmp(name, "config.json.tmp.", 16) ||
           !strncmp(name, "config.json.sha256.tmp.", 23);
}

/* 1 when PATH is a folder with nothing in it. */
static int empty_folder(const char *path) {
    DIR *d = opendir(path);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n == 0;
}

/* Whether DIR is an unstarted run's folder; with REMOVE, removes it when it is. */
static int unstarted(const char *dir, int remove) {
    char p[4400];
    struct stat st;
    rundir_path(dir, "tasks", p, sizeof p);
    if (lstat(p, &st) != 0 || !S_ISDIR(st.st_mode) || !empty_folder(p)) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    int ok = 1;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "tasks"))
            continue;
        snprintf(p, sizeof p, "%.4000s/%.255s", dir, e->d_name);
        ok = start_leftover(e->d_name) && lstat(p, &st) == 0 && S_ISREG(st.st_mode);
    }
    closedir(d);
    /* a run starting there now holds the lock: its folder, not a leftover */
    if (!ok || rundir_locked(dir, NULL)) return 0;
    if (!remove) return 1;
    d = opendir(dir);
    while (d && (e = readdir(d))) {
        if (!start_leftover(e->d_name) || !strcmp(e->d_name, "tasks")) continue;
        snprintf(p, sizeof p, "%.4000s/%.255s", dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rundir_path(dir, "tasks", p, sizeof p);
    rmdir(p);
    return rmdir(dir) == 0;
}

int rundir_unstarted(const char *dir) { return unstarted(dir, 0); }

int rundir_remove_unstarted(const char *dir) { return unstarted(dir, 1); }

/* ---- the writer lock ---- */

static int lock_op(int fd, int cmd, struct flock *fl, short type) {
    memset(fl, 0, sizeof *fl); /* l_pid must be 0 for OFD locks */
    fl->l_type = type;
    fl->l_whence = SEEK_SET;
    return fcntl(fd, cmd, fl);
}

/* The holder's record in the lock file (written by the holder once it has the lock). */
static void read_holder(int fd, rundir_holder *h) {
    memset(h, 0, sizeof *h);
    char buf[1024];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return;
    buf[n] = 0;
    cJSON *o = cJSON_Parse(buf);
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(o, "pid");
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(o, "host");
    const cJSON *since = cJSON_GetObjectItemCaseSensitive(o, "since");
    if (cJSON_IsNumber(pid) && pid->valuedouble > 0 && pid->valuedouble < 1e9)
        h->pid = (int)pid->valuedouble;
    if (cJSON_IsString(host)) snprintf(h->host, sizeof h->host, "%s", host->valuestring);
    if (cJSON_IsNumber(since) && isfinite(since->valuedouble) && since->valuedouble > 0)
        h->since = since->valuedouble;
    cJSON_Delete(o);
}

void rundir_holder_text(const rundir_holder *h, int when_too, char *out, size_t n) {
    size_t k = 0;
    out[0] = 0;
    if (h->pid > 0) k += (size_t)snprintf(out + k, n - k, "pid %d", h->pid);
    if (h->host[0] && k < n)
        k += (size_t)snprintf(out + k, n - k, "%son %s", k ? " " : "", h->host);
    if (when_too && h->since > 0 && k < n) {
        time_t t = (time_t)h->since;
        struct tm tm;
        char when[32];
        localtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(out + k, n - k, "%ssince %s", k ? ", " : "", when);
    }
    if (!out[0]) snprintf(out, n, "a process that has not yet said which");
}

int rundir_lock(const char *dir, int *fd_out, char *warn, size_t nwarn) {
    *fd_out = -1;
    if (warn && nwarn) warn[0] = 0;
    char p[4200];
    rundir_path(dir, ".lock", p, sizeof p);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return SEGP_FAIL("%s: cannot open the run's lock file: %s", p, strerror(errno));
    struct flock fl;
    if (lock_op(fd, F_OFD_SETLK, &fl, F_WRLCK) != 0) {
        int e = errno;
        if (e == EAGAIN || e == EACCES) {
            rundir_holder h;
            read_holder(fd, &h);
            close(fd);
            char who[400], ev[4200], follow[16100] = "", q[16000];
            rundir_holder_text(&h, 1, who, sizeof who);
            rundir_path(dir, "events.jsonl", ev, sizeof ev);
            segp_shell_quote(dir, q, sizeof q);
            if (access(ev, F_OK) == 0) /* a continual-learning run: the workbench follows it */
                snprintf(follow, sizeof follow, " (to follow it: segp tui %s)", q);
            return SEGP_FAIL("%s: another segp process is writing this run (%s); one process "
                             "writes a run at a time: wait for it to end or stop it%s", dir, who,
                             follow);
        }
        close(fd);
        if (warn && nwarn)
            snprintf(warn, nwarn, "%s: the file system refuses locks (%s): nothing stops "
                     "another segp from writing this run at the same time", p, strerror(e));
        return 0;
    }
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pid", (double)getpid());
    cJSON_AddStringToObject(o, "host", host);
    cJSON_AddNumberToObject(o, "since", (double)ts.tv_sec + ts.tv_nsec * 1e-9);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    size_t len = strlen(text);
    /* readers read this only while the lock is held, so in-place is enough */
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, len, 0) != (ssize_t)len ||
        pwrite(fd, "\n", 1, (off_t)len) != 1) {
        int e = errno;
        free(text);
        close(fd);
        return SEGP_FAIL("%s: cannot write: %s", p, strerror(e));
    }
    free(text);
    *fd_out = fd;
    return 0;
}

void rundir_lock_remove(const char *dir, int fd) {
    if (fd < 0) return;
    char p[4200];
    rundir_path(dir, ".lock", p, sizeof p);
    unlink(p);
}

int rundir_locked(const char *dir, rundir_holder *h) {
    if (h) memset(h, 0, sizeof *h);
    char p[4200];
    rundir_path(dir, ".lock", p, sizeof p);
    int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO there must not block */
    if (fd < 0) return 0;
    struct flock fl;
    int held = lock_op(fd, F_OFD_GETLK, &fl, F_WRLCK) == 0 && fl.l_type != F_UNLCK;
    if (held && h) read_holder(fd, h);
    close(fd);
    return held;
}

int rundir_create_free(char *dir, size_t n) {
    char base[4096];
    snprintf(base, sizeof base, "%s", dir);
    for (int k = 2; k < 1000; k++) {
        if (mkdir(dir, 0755) == 0) {
            char p[4200];
            rundir_path(dir, "tasks", p, sizeof p);
            if (mkdir(p, 0755) != 0) return SEGP_FAIL("%s: cannot create: %s", p, strerror(errno));
            return 0;
        }
        if (errno != EEXIST)
            return SEGP_FAIL("%s: cannot create the run directory: %s", dir, strerror(errno));
        snprintf(dir, n, "%.4080s-%d", base, k);
    }
    return SEGP_FAIL("%s: taken, and so are %s-2 to -998 (choose --out)", base, base);
}

void rundir_path(const char *dir, const char *name, char *out, size_t n) {
    snprintf(out, n, "%s/%s", dir, name);
}

void rundir_task_path(const char *dir, int t, const char *name, char *out, size_t n) {
    snprintf(out, n, "%s/tasks/%02d%s%s", dir, t + 1, name[0] ? "/" : "", name);
}

int rundir_task_mkdir(const char *dir, int t) {
    char p[4096];
    rundir_task_path(dir, t, "", p, sizeof p);
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        return SEGP_FAIL("%s: cannot create: %s", p, strerror(errno));
    return 0;
}

int rundir_write(const char *path, const void *data, size_t n) {
    if (fault_hit("file")) { /* a crash while the temporary file is half written */
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
        FILE *f = fopen(tmp, "wb");
        if (f) {
            fwrite(data, 1, n / 2, f);
            fflush(f);
        }
        fault_kill_now();
    }
    return segp_write_file_atomic(path, data, n);
}

int rundir_write_text(const char *path, const char *text) {
    return rundir_write(path, text, strlen(text));
}

int rundir_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

int rundir_is_pretrain(const char *dir) {
    char p[4500];
    rundir_path(dir, "log.jsonl", p, sizeof p);
    if (!rundir_exists(p)) return 0;
    rundir_path(dir, "events.jsonl", p, sizeof p);
    return !rundir_exists(p);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int rundir_fail_not_a_run(const char *dir) {
    DIR *d = opendir(dir);
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[4400];
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s/config.json", dir, e->d_name);
        if (!rundir_exists(p)) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (rundir_is_pretrain(p)) continue;
        if (n == cap) names = segp_realloc(names, sizeof *names * (size_t)(cap = cap * 2 + 8));
        names[n++] = segp_strdup(e->d_name);
    }
    if (d) closedir(d);
    if (!n) return segp_fail_prefix("not a run directory: ");
    qsort(names, (size_t)n, sizeof *names, by_name);
    char list[400] = "";
    size_t k = 0;
    for (int i = 0; i < n && i < 3 && k < sizeof list; i++)
        k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", names[i]);
    if (n > 3 && k < sizeof list) snprintf(list + k, sizeof list - k, ", ...");
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    char why[1200], q[16000];
    snprintf(why, sizeof why, "%s", segp_last_error());
    segp_clear_error();
    segp_shell_quote(dir, q, sizeof q);
    return SEGP_FAIL("not a run directory: %s; it holds %d run%s (%s): give one of them (to "
                     "list them: segp info %s)", why, n, n == 1 ? "" : "s", list, q);
}

int rundir_write_config_sha(const char *dir, const char *config_text) {
    char hex[65], line[128], p[4200];
    sha256_hex(config_text, strlen(config_text), hex);
    snprintf(line, sizeof line, "%s  config.json\n", hex);
    rundir_path(dir, "config.json.sha256", p, sizeof p);
    return rundir_write_text(p, line);
}

int rundir_check_config_sha(const char *dir, const void *data, size_t n) {
    char p[4200], cj[4200];
    rundir_path(dir, "config.json.sha256", p, sizeof p);
    rundir_path(dir, "config.json", cj, sizeof cj);
    if (!rundir_exists(p)) return 0;
    uint8_t *rec;
    size_t size;
    if (segp_read_file(p, &rec, &size) != 0) return -1;
    char want[65];
    int ok = size >= 64;
    for (size_t i = 0; ok && i < 64; i++) {
        char c = (char)rec[i];
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        want[i] = c;
    }
    want[64] = 0;
    free(rec);
    if (!ok)
        return SEGP_FAIL("%s: corrupt (expected the SHA-256 of %s in hex, as sha256sum writes "
                         "it); it cannot tell whether config.json is the one the run started "
                         "with", p, cj);
    char have[65], q[16000];
    sha256_hex(data, n, have);
    segp_shell_quote(cj, q, sizeof q);
    if (strcmp(have, want) != 0)
        /* the finished tasks were made with the recorded settings: going on with others would
         * leave a run that no config describes */
        return SEGP_FAIL("%s: changed since the run started (SHA-256 %.12s..., recorded "
                         "%.12s... in %s), so the run would mix two sets of settings: restore "
                         "the file the run wrote, or start a new run from the edited one with: "
                         "segp run %s --out NEWDIR", cj, have, want, p, q);
    return 1;
}

int rundir_task_done(const char *dir, int t) {
    char p[4096];
    rundir_task_path(dir, t, "DONE", p, sizeof p);
    return rundir_exists(p);
}

static void clean_one(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strstr(e->d_name, ".tmp.")) {
            char p[4400];
            snprintf(p, sizeof p, "%.4000s/%.255s", dir, e->d_name);
            unlink(p);
        }
    }
    closedir(d);
}

void rundir_clean_tmp(const char *dir, int num_tasks) {
    clean_one(dir);
    for (int t = 0; t < num_tasks; t++) {
        char p[4096];
        rundir_task_path(dir, t, "", p, sizeof p);
        clean_one(p);
    }
}

/* A growing text buffer. */
typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int k = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (k >= 0 && b->s && (size_t)k < room) {
            b->len += (size_t)k;
            return;
        }
        b->cap = b->cap ? b->cap * 2 + (size_t)k : 4096 + (size_t)k;
        b->s = segp_realloc(b->s, b->cap);
    }
}

/* A percentage as JSON: fixed decimals (byte-identical across runs), null when undefined. */
static void sb_pct(sbuf *b, double v) {
    if (isfinite(v)) sb_printf(b, "%.4f", v);
    else sb_printf(b, "null");
}

/* The summary members of S as JSON ("key": value, ...). */
static void sb_summary(sbuf *b, const cl_summary *s, int final) {
    sb_printf(b, "\"%s\": ", final ? "last" : "acc");
    sb_pct(b, s->acc);
    sb_printf(b, ", \"%s\": ", final ? "avg" : "avg_acc");
    sb_pct(b, s->avg_acc);
    sb_printf(b, ", \"forgetting\": ");
    sb_pct(b, s->forgetting);
    sb_printf(b, ", \"bwt\": ");
    sb_pct(b, s->bwt);
    sb_printf(b, ", \"fwt\": ");
    sb_pct(b, s->fwt);
}

/* accuracy_matrix{SUFFIX}.csv and .npy of the first N_DONE rows of M. */
static int write_matrix(const char *dir, const char *suffix, const cl_matrix *m, int n_done) {
    int T = m->num_tasks;
    sbuf b = {0};
    float *R = segp_malloc((size_t)T * T * sizeof(float));
    sb_printf(&b, "after_task");
    for (int j = 0; j < T; j++) sb_printf(&b, ",task_%d", j + 1);
    sb_printf(&b, "\n");
    for (int i = 0; i < T; i++) {
        sb_printf(&b, "%d", i + 1);
        for (int j = 0; j < T; j++) {
            double r = i < n_done ? cl_matrix_R(m, i, j) : NAN;
            R[(size_t)i * T + j] = (float)r;
            if (isfinite(r)) sb_printf(&b, ",%.4f", r);
            else sb_printf(&b, ",");
        }
        sb_printf(&b, "\n");
    }
    char name[64], p[4096];
    snprintf(name, sizeof name, "accuracy_matrix%s.csv", suffix);
    rundir_path(dir, name, p, sizeof p);
    int rc = rundir_write(p, b.s, b.len);
    if (rc == 0) {
        snprintf(name, sizeof name, "accuracy_matrix%s.npy", suffix);
        rundir_path(dir, name, p, sizeof p);
        int64_t shape[2] = {T, T};
        rc = npy_write_f32(p, R, 2, shape);
    }
    free(R);
    free(b.s);
    return rc;
}

int rundir_write_metrics(const char *dir, const cl_matrix *m, int n_done,
                         const rundir_metrics_extra *x) {
    static const rundir_metrics_extra none = {NULL, NAN, NULL, NULL};
    if (!x) x = &none;
    int T = m->num_tasks;
    sbuf b = {0};
    sb_printf(&b, "%s", "");
    cl_summary s = {0}, cs = {0};
    double bc_sum = 0;
    int bc_n = 0;
    for (int t = 0; t < n_done; t++) {
        if (cl_summary_after(m, t, &s) != 0 ||
            (x->clip && cl_summary_after(x->clip, t, &cs) != 0)) {
            free(b.s);
            return -1;
        }
        sb_printf(&b, "{\"task\": %d, \"acc\": ", t + 1);
        sb_pct(&b, s.acc);
        sb_printf(&b, ", \"avg_acc\": ");
        sb_pct(&b, s.avg_acc);
        sb_printf(&b, ", \"forgetting\": ");
        sb_pct(&b, s.forgetting);
        sb_printf(&b, ", \"acc_per_task\": [");
        for (int j = 0; j <= t; j++) {
            sb_printf(&b, j ? ", " : "");
            sb_pct(&b, cl_matrix_R(m, t, j));
        }
        sb_printf(&b, "], \"bwt\": ");
        sb_pct(&b, s.bwt);
        sb_printf(&b, ", \"fwt\": ");
        sb_pct(&b, s.fwt);
        sb_printf(&b, ", \"old_acc\": ");
        sb_pct(&b, s.old_acc);
        sb_printf(&b, ", \"new_acc\": ");
        sb_pct(&b, s.new_acc);
        if (x->clip) {
            sb_printf(&b, ", \"clip_acc\": ");
            sb_pct(&b, cs.acc);
        }
        if (x->heldout && isfinite(x->heldout[t])) {
            sb_printf(&b, ", \"heldout_acc\": ");
            sb_pct(&b, x->heldout[t]);
        }
        if (x->boundary_core && isfinite(x->boundary_core[t])) {
            sb_printf(&b, ", \"boundary_core_ratio\": %.6f", x->boundary_core[t]);
            bc_sum += x->boundary_core[t];
            bc_n++;
        }
        sb_printf(&b, "}\n");
    }
    if (n_done == T) {
        sb_printf(&b, "{");
        sb_summary(&b, &s, 1);
        if (x->clip) {
            sb_printf(&b, ", \"clip_branch\": {");
            sb_summary(&b, &cs, 1);
            sb_printf(&b, "}");
        }
        if (bc_n) sb_printf(&b, ", \"boundary_core_ratio\": %.6f", bc_sum / bc_n);
        if (x->heldout && isfinite(x->heldout[T - 1]) && isfinite(x->heldout_pre)) {
            sb_printf(&b, ", \"heldout_pretrained\": ");
            sb_pct(&b, x->heldout_pre);
            sb_printf(&b, ", \"heldout_final\": ");
            sb_pct(&b, x->heldout[T - 1]);
        }
        sb_printf(&b, "}\n");
    }
    char p[4096];
    rundir_path(dir, "metrics.jsonl", p, sizeof p);
    int rc = rundir_write(p, b.s, b.len);
    free(b.s);
    if (rc == 0) rc = write_matrix(dir, "", m, n_done);
    if (rc == 0 && x->clip) rc = write_matrix(dir, "_clip", x->clip, n_done);
    return rc;
}

/* A JSON number that is a whole count in [0, 2^53]. */
static int json_count(const cJSON *v, int64_t *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d)) return 0;
    *out = (int64_t)d;
    return 1;
}

/* Entry J of HITS (N = count[j]): a count within [0, n], or null for a task not yet seen. */
static int eval_entry(const cJSON *hits, int t, int j, int64_t n, int64_t *h) {
    const cJSON *v = cJSON_GetArrayItem(hits, j);
    if (cJSON_IsNull(v) && j > t) { /* a finished task has every seen entry */
        *h = -1;
        return 1;
    }
    return json_count(v, h) && *h <= n;
}

int rundir_parse_task_eval(const char *text, size_t n, int t, cl_matrix *m, cl_matrix *clip,
                           double *heldout) {
    int T = m->num_tasks;
    if (t < 0 || t >= T) return -1;
    cJSON *o = cJSON_ParseWithLength(text, n);
    const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(o, "count");
    const cJSON *hits = cJSON_GetObjectItemCaseSensitive(o, "hits");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(o, "clip_hits");
    int ok = cJSON_IsObject(o) && cJSON_IsArray(cnt) && cJSON_IsArray(hits) &&
             cJSON_GetArraySize(cnt) == T && cJSON_GetArraySize(hits) == T &&
             (!clip || (cJSON_IsArray(ch) && cJSON_GetArraySize(ch) == T));
    int64_t *v = segp_malloc(3 * (size_t)T * sizeof *v); /* count, hits, clip hits */
    for (int j = 0; ok && j < T; j++) {
        ok = json_count(cJSON_GetArrayItem(cnt, j), &v[j]) &&
             eval_entry(hits, t, j, v[j], &v[T + j]) &&
             (!clip || eval_entry(ch, t, j, v[j], &v[2 * T + j]));
    }
    /* nothing is recorded unless the whole file is valid */
    for (int j = 0; ok && j < T; j++) {
        if (v[T + j] >= 0) cl_matrix_set(m, t, j, v[T + j], v[j]);
        if (clip && v[2 * T + j] >= 0) cl_matrix_set(clip, t, j, v[2 * T + j], v[j]);
    }
    const cJSON *ho = cJSON_GetObjectItemCaseSensitive(o, "heldout_acc");
    if (ok && cJSON_IsNumber(ho)) *heldout = ho->valuedouble;
    free(v);
    cJSON_Delete(o);
    return ok ? 0 : -1;
}
