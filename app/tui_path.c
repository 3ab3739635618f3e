/* tui_path.c: a file's path fitted to the cells a status-bar line leaves it (tui.h). */
#include <stdio.h>
#include <string.h>

#include "tui.h"
#include "views/canvas.h"

void tui_fit_path(const char *path, const char *cwd, int room, int ascii, char *out, size_t n) {
    /* under the current directory: relative, as the user would type it */
    size_t lc = cwd ? strlen(cwd) : 0;
    if (lc > 1 && !strncmp(path, cwd, lc) && path[lc] == '/' && path[lc + 1]) path += lc + 1;
    snprintf(out, n, "%s", path);
    if (utf8_cells(out) <= room) return;
    /* the first part, an ellipsis, then as many whole last parts as fit (the file's name at
     * least): "/home/…/sample_runs/default.json", else "…/sample_runs/default.json" */
    const char *ell = ascii ? "..." : "\xe2\x80\xa6"; /* U+2026 */
    const char *cut = path[0] ? strchr(path + 1, '/') : NULL; /* the first part's end */
    int head = cut ? (int)(cut - path) + 1 : 0;
    for (int with_head = 1; with_head >= 0 && cut; with_head--)
        for (const char *s = with_head ? strchr(cut + 1, '/') : cut; s; s = strchr(s + 1, '/')) {
            snprintf(out, n, "%.*s%s%s", with_head ? head : 0, path, ell, s);
            if (utf8_cells(out) <= room) return;
        }
    /* a name longer than the room: its tail, a code point at a time */
    const char *tail = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    while (*tail && utf8_cells(tail) + utf8_cells(ell) > room) {
        tail++;
        while ((*tail & 0xc0) == 0x80) tail++;
    }
    snprintf(out, n, "%s%s", ell, tail);
}
