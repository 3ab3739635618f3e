/* view_render.c: see view_render.h. */
#include "view_render.h"

#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "test.h"

int view_fixture_open(view_fixture *f, int t) {
    memset(f, 0, sizeof *f);
    if (run_record_open("sample_runs/default-run", &f->rec) != 0) {
        CHECK_MSG(0, "run_record_open: %s", segp_last_error());
        return 0;
    }
    if (run_task_load(&f->rec, t, &f->td) != 0) {
        CHECK_MSG(0, "run_task_load %d: %s", t, segp_last_error());
        run_record_free(&f->rec);
        return 0;
    }
    f->s.rec = &f->rec;
    f->s.task = t;
    f->s.td = &f->td;
    f->s.live.read_only = 1;
    return 1;
}

void view_fixture_close(view_fixture *f) {
    run_task_data_free(&f->td);
    run_record_free(&f->rec);
}

char *view_render(view *v, const wb_state *s, int w, int h, charset cs, color_mode cm) {
    tcanvas *c = canvas_new(w, h, cs, cm, 0);
    v->draw(v, c, (trect){0, 0, w, h}, s);
    char *t = canvas_to_text(c);
    canvas_free(c);
    if (test_verbose()) printf("---- %s %dx%d cs %d colors %d\n%s", v->name, w, h, cs, cm, t);
    return t;
}

int text_has(const char *text, const char *s) {
    if (strstr(text, s)) return 1;
    printf("    missing \"%s\" in:\n%s", s, text);
    return 0;
}

int text_lacks(const char *text, const char *s) {
    if (!strstr(text, s)) return 1;
    printf("    unexpected \"%s\" in:\n%s", s, text);
    return 0;
}

/* Line N (0-based) of TEXT (one of 4 rotating buffers). */
const char *render_line(const char *text, int n) {
    static char buf[4][1024];
    static int k;
    char *out = buf[k++ % 4];
    const char *p = text;
    for (int i = 0; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    size_t len = 0;
    if (p)
        while (p[len] && p[len] != '\n' && len < sizeof buf[0] - 1) len++;
    memcpy(out, p ? p : "", len);
    out[len] = 0;
    return out;
}

/* Press KEYS (a NUL-terminated string of single-byte keys) on V. */
void view_press(view *v, wb_state *s, const char *keys) {
    for (const char *k = keys; *k; k++) v->key(v, (unsigned char)*k, s);
}
