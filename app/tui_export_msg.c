/* tui_export_msg.c: what the status bar says after `e` ("exported to DIR: FILES"), made to fit
 * its width by shortening the folder ("…/exports") and then listing fewer files ("+2 more"),
 * never by cutting a file's name: the canvas cuts a long line wherever the width ends. */
#include <stdio.h>
#include <string.h>

#include "tui.h"

enum { MAX_ITEMS = 32, NOTE_ROOM = 40 };

/* DIR's last part after an ellipsis ("…/exports"), or DIR when it has a single part. */
static void elide_dir(const char *dir, int ascii, char *out, size_t n) {
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--;
    size_t b = len;
    while (b > 0 && dir[b - 1] != '/') b--;
    if (b == 0 || (b == 1 && dir[0] == '/')) snprintf(out, n, "%.*s", (int)len, dir);
    else snprintf(out, n, "%s/%.*s", ascii ? "..." : "\u2026", (int)(len - b), dir + b);
}

/* "exported [N files ]to DIR: the first SHOWN items[, +K more]NOTE" into OUT. */
static void compose(char *out, size_t n, const char *dir, char items[][300], int k, int shown,
                    int files, const char *note) {
    size_t used = 0;
    if (shown < k) used = (size_t)snprintf(out, n, "exported %d files to %s", files, dir);
    else used = (size_t)snprintf(out, n, "exported to %s", dir);
    for (int i = 0; i < shown && used < n; i++)
        used += (size_t)snprintf(out + used, n - used, "%s%s", i ? ", " : ": ", items[i]);
    if (shown < k && shown > 0 && used < n)
        used += (size_t)snprintf(out + used, n - used, ", +%d more", k - shown);
    if (used < n) snprintf(out + used, n - used, "%s", note);
}

void tui_export_message(char *out, size_t n, int width, int ascii, const char *dir,
                        const char *figure, const char *written, const char *note) {
    char items[MAX_ITEMS][300];
    int k = 0, files = 0;
    if (figure && figure[0]) {
        snprintf(items[k++], sizeof items[0], "%.280s (+ .csv)", figure);
        files += 2;
    }
    for (const char *s = written; s && *s && k < MAX_ITEMS;) { /* ", "-separated names */
        const char *e = strstr(s, ", ");
        int len = e ? (int)(e - s) : (int)strlen(s);
        snprintf(items[k++], sizeof items[0], "%.*s", len < 299 ? len : 299, s);
        files++;
        s = e ? e + 2 : s + len;
    }
    /* a long reason after the files is cut at the end; it keeps no more than NOTE_ROOM cells
     * from the names */
    int note_cells = utf8_cells(note);
    int room = width - (note_cells < NOTE_ROOM ? note_cells : NOTE_ROOM);
    char short_dir[4200];
    elide_dir(dir, ascii, short_dir, sizeof short_dir);
    compose(out, n, dir, items, k, k, files, "");
    for (int shown = k; shown >= 0 && utf8_cells(out) > room; shown--)
        compose(out, n, short_dir, items, k, shown, files, "");
    size_t used = strlen(out);
    if (used < n) snprintf(out + used, n - used, "%s", note);
}
