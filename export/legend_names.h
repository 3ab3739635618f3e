/* legend_names.h: shorter forms of the names a legend shows, for names that would otherwise
 * need smaller type: the runs of a comparison, named by their folders ("shapes-random-segp-
 * 20261201-052900"), each without what all of them share, else cut in the middle with an
 * ellipsis, the forms kept apart where the names differ. */
#ifndef SEGP_FIG_LEGEND_NAMES_H
#define SEGP_FIG_LEGEND_NAMES_H

#include <cairo.h>

/* The N names S, each without the prefix and the suffix that all of them share, taken at a
 * separator ('-', '_' or a space: "shapes-random-segp-", "-20261201-052900"), every name keeping
 * something; a copy of each where they share none (or N < 2). Free with fig_names_free. */
char **fig_names_drop_common(const char *const *s, int n);

/* The N names S, each no wider than MAX_W in CR's current font: a wider one keeps its start
 * and its end, about as many characters of each as fit, with "…" between them; where that
 * form would fit another name too ("shapes-…-052900"), one with the cut moved, else with the
 * place where the two differ kept between two ellipses: a form of no other name where the
 * width allows one, else at least one no other name shows. Names that fit stay as they are,
 * the same name gets the same form. Free with fig_names_free. */
char **fig_names_cut(cairo_t *cr, const char *const *s, int n, double max_w);

void fig_names_free(char **s, int n);

#endif
