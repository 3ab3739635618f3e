/* view_pending.c: TEMPORARY stand-ins for the anchors, drift, geometry and projection views
 * until their files (views/view_anchors.c, ...) are merged; the integrator deletes this file
 * then. Each draws a "not built yet" notice. The constructors are weak symbols, so a branch
 * that has the real view links that one instead. */
#include "views/view.h"

#include <stdlib.h>

#include "core/common.h"

static void pending_draw(view *v, tcanvas *c, trect area, const wb_state *s) {
    view_title(c, area, v->name, s);
    trect rest = {area.x, area.y + 1, area.w, area.h - 1};
    view_notice(c, rest, "This view is not built yet.");
}

static view_reply pending_key(view *v, int key, wb_state *s) { return VIEW_IGNORED; }

static void pending_free(view *v) { free(v); }

static view *pending(const char *name) {
    view *v = segp_calloc(1, sizeof *v);
    v->name = name;
    v->draw = pending_draw;
    v->key = pending_key;
    v->free = pending_free;
    return v;
}

__attribute__((weak)) view *view_anchors_new(void) { return pending("anchors"); }
__attribute__((weak)) view *view_drift_new(void) { return pending("drift"); }
__attribute__((weak)) view *view_geometry_new(void) { return pending("geometry"); }
__attribute__((weak)) view *view_projection_new(void) { return pending("projection"); }
__attribute__((weak)) view *view_overview_new(void) { return pending("overview"); }
__attribute__((weak)) view *view_accuracy_new(void) { return pending("accuracy"); }
