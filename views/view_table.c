/* view_table.c: the workbench's views in tab order (keys 1..6). */
#include "views/view.h"

const view_ctor view_table[] = {
    view_overview_new, view_accuracy_new, view_anchors_new,
    view_drift_new,    view_geometry_new, view_projection_new,
};
const int view_count = (int)(sizeof view_table / sizeof view_table[0]);
