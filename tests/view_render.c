/* view_render.c: see view_render.h. */
#include "view_render.h"

#include <stdio.h>
#include <string.h>

#include "test.h"

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
