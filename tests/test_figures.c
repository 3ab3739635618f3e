/* test_figures.c: publication figures (export/). The heatmap drawn from a known matrix and read
 * back through libpng: its size, pHYs and tEXt chunks, and the pixel colours at the maximum and
 * minimum cells and the colour bar's ends, where the layout says they are; the colour maps and
 * ticks; the PNG encoder's un-premultiplication; every figure of the shipped run as PNG (size,
 * pHYs, provenance), as SVG (parsed as XML) and as PDF (no Type 3 font); data files beside the
 * figures; comparisons; and bad requests: a message, a non-zero exit and no file. Sizes other
 * than the defaults: test_figure_layout.c. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "export/axes.h"
#include "export/colormap.h"
#include "export/figure.h"
#include "export/heatmap.h"
#include "export/output.h"
#include "png_read.h"
#include "run/run_record.h"
#include "test.h"

#define RUN "sample_runs/default-run"

/* files in DIR (0 when it is absent) */
static int count_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* ---- colour maps, ticks ---- */

TEST(figure_colormaps_and_palette) {
    CHECK_EQ_INT(fig_cmap_rgb8(FIG_CMAP_VIRIDIS, 0), 0x440154);
    CHECK_EQ_INT(fig_cmap_rgb8(FIG_CMAP_VIRIDIS, 1), 0xfde725);
    CHECK_EQ_INT(fig_cmap_rgb8(FIG_CMAP_VIRIDIS, 0.5), 0x21918c);
    CHECK_EQ_INT(fig_cmap_rgb8(FIG_CMAP_VIRIDIS, -3), 0x440154); /* clamped */
    CHECK_EQ_INT(fig_cmap_rgb8(FIG_CMAP_DIVERGING, 0.5), 0xffffff);
    CHECK_EQ_INT(fig_cmap_rgb8(FIG_CMAP_DIVERGING, 0), 0x053061);
    CHECK_EQ_INT(fig_cmap_rgb8(FIG_CMAP_DIVERGING, 1), 0x67001f);
    /* viridis reads dark to light: luminance rises along it */
    double prev = -1;
    for (int i = 0; i <= 50; i++) {
        double l = fig_luminance(fig_cmap_rgb(FIG_CMAP_VIRIDIS, i / 50.0));
        CHECK(l > prev);
        prev = l;
    }
    /* the diverging map gets lighter toward the centre from both ends */
    CHECK(fig_luminance(fig_cmap_rgb(FIG_CMAP_DIVERGING, 0.1)) <
          fig_luminance(fig_cmap_rgb(FIG_CMAP_DIVERGING, 0.4)));
    CHECK(fig_luminance(fig_cmap_rgb(FIG_CMAP_DIVERGING, 0.9)) <
          fig_luminance(fig_cmap_rgb(FIG_CMAP_DIVERGING, 0.6)));
    fig_rgb b = fig_palette(FIG_C_OLD), v = fig_palette(FIG_C_NEW);
    CHECK_NEAR(b.b, 0xb2 / 255.0, 1e-12); /* Okabe-Ito blue 0072b2 */
    CHECK_NEAR(v.r, 0xd5 / 255.0, 1e-12); /* vermillion d55e00 */
    fig_rgb w = fig_palette(8);           /* cycles */
    CHECK_NEAR(w.b, b.b, 1e-12);
}

TEST(figure_ticks_are_round_numbers) {
    double t[64];
    int dec;
    int n = fig_ticks(0, 1, 6, 0, t, &dec);
    CHECK_EQ_INT(n, 6);
    CHECK_NEAR(t[0], 0, 1e-12);
    CHECK_NEAR(t[5], 1, 1e-12);
    CHECK_EQ_INT(dec, 1);
    n = fig_ticks(-0.87, 1, 6, 0, t, &dec);
    CHECK(n >= 3 && n <= 6);
    CHECK(t[0] >= -0.87 && t[n - 1] <= 1 + 1e-12);
    n = fig_ticks(0.6, 10.4, 11, 1, t, &dec); /* task axis: integers */
    CHECK_EQ_INT(dec, 0);
    for (int i = 0; i < n; i++) CHECK_NEAR(t[i], round(t[i]), 1e-12);
    n = fig_ticks(0, 2.5e-3, 6, 0, t, &dec);
    CHECK_EQ_INT(dec, 4);
    double lo, hi;
    const float m[4] = {-0.25f, 0.5f, NAN, 0.1f};
    CHECK(fig_matrix_limits(m, 4, 0, &lo, &hi));
    CHECK_NEAR(lo, -0.25, 1e-7);
    CHECK_NEAR(hi, 0.5, 1e-7);
    CHECK(fig_matrix_limits(m, 4, 1, &lo, &hi));
    CHECK_NEAR(lo, -0.5, 1e-7);
    CHECK_NEAR(hi, 0.5, 1e-7);
}

/* ---- the heatmap's cells and colour bar, read back from the PNG ---- */

static void heatmap_case(fig_cmap cmap, int symmetric) {
    enum { R = 12, C = 12 };
    float m[R * C];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) m[i * C + j] = 0.1f * (float)sin(i * 1.3 + j * 0.7);
    m[2 * C + 9] = 0.9f;  /* the maximum */
    m[7 * C + 1] = -0.6f; /* the minimum */
    m[5 * C + 5] = NAN;
    const char *names[R];
    char buf[R][24]; /* "class " and any int */
    int group[R];
    for (int i = 0; i < R; i++) {
        snprintf(buf[i], sizeof buf[i], "class %d", i);
        names[i] = buf[i];
        group[i] = i / 4;
    }
    fig_heatmap h = {0};
    h.m = m;
    h.rows = R;
    h.cols = C;
    CHECK(fig_matrix_limits(m, R * C, symmetric, &h.lo, &h.hi));
    h.cmap = cmap;
    h.row_labels = h.col_labels = names;
    h.row_group = h.col_group = group;
    h.group_prefix = "T";
    h.xlabel = "Class text embedding";
    h.ylabel = "Class mean";
    h.title = "A known matrix";
    h.cbar_label = "Cosine similarity";
    h.square = 1;
    h.nan_color = (fig_rgb){0.85, 0.85, 0.85};

    const double dpi = 100, w_in = 5, h_in = 4.5;
    fig_canvas cv;
    CHECK(fig_canvas_begin(&cv, FIG_PNG, w_in, h_in, dpi) == 0);
    CHECK_EQ_INT(cv.px_w, 500);
    CHECK_EQ_INT(cv.px_h, 450);
    fig_heatmap_layout L;
    fig_heatmap_layout_compute(cv.cr, &h, 0, 0, cv.w_pt, cv.h_pt, &L);
    fig_heatmap_draw(cv.cr, &h, &L);
    const fig_meta meta[] = {{"Figure", "test-heatmap"}, {"Run", "test-run"}};
    fig_bytes b = {0};
    CHECK(fig_canvas_encode(&cv, meta, 2, &b) == 0);
    png_read p;
    png_decode(b.p, b.n, &p);
    fig_bytes_free(&b);
    CHECK(p.ok);
    if (!p.ok) return;
    CHECK_EQ_INT(p.w, 500);
    CHECK_EQ_INT(p.h, 450);
    CHECK_EQ_INT(p.color_type, PNG_COLOR_TYPE_RGB); /* opaque: no alpha channel */
    CHECK(p.has_phys);
    CHECK_EQ_INT(p.phys_unit, PNG_RESOLUTION_METER);
    CHECK_EQ_INT(p.ppm_x, 3937); /* 100 dpi */
    CHECK_EQ_INT(p.ppm_y, 3937);
    CHECK(chunk_text(&p, "Figure") && !strcmp(chunk_text(&p, "Figure"), "test-heatmap"));
    CHECK(chunk_text(&p, "Run") && !strcmp(chunk_text(&p, "Run"), "test-run"));

    /* points -> pixels */
    const double k = dpi / 72.0;
    double x, y;
    fig_heatmap_cell_center(&L, 2, 9, &x, &y);
    CHECK_RGB(png_px(&p, (int)(x * k), (int)(y * k)), fig_cmap_rgb8(cmap, 1.0), 0);
    fig_heatmap_cell_center(&L, 7, 1, &x, &y); /* the minimum: the map's low end, or for
                                                * symmetric limits its place below 0 */
    CHECK_RGB(png_px(&p, (int)(x * k), (int)(y * k)),
              fig_cmap_rgb8(cmap, symmetric ? (-0.6 - h.lo) / (h.hi - h.lo) : 0.0), 0);
    fig_heatmap_cell_center(&L, 5, 5, &x, &y); /* NAN: the grey */
    CHECK_RGB(png_px(&p, (int)(x * k), (int)(y * k)), 0xd9d9d9, 1);
    fig_heatmap_cell_center(&L, 4, 6, &x, &y); /* an ordinary cell */
    double t = (m[4 * C + 6] - h.lo) / (h.hi - h.lo);
    CHECK_RGB(png_px(&p, (int)(x * k), (int)(y * k)), fig_cmap_rgb8(cmap, t), 1);
    if (symmetric) { /* zero is white in the diverging map */
        CHECK_NEAR(h.lo, -h.hi, 1e-12);
        CHECK_EQ_INT(fig_cmap_rgb8(cmap, (0 - h.lo) / (h.hi - h.lo)), 0xffffff);
    }

    /* colour bar: the ends carry the map's ends; one pixel in from each end */
    double half_px = 1.5 / k, len = L.cb_bottom - L.cb_top;
    CHECK(len > 50);
    fig_heatmap_cbar_point(&L, half_px / len, &x, &y);
    CHECK_RGB(png_px(&p, (int)(x * k), (int)(y * k)), fig_cmap_rgb8(cmap, half_px / len), 2);
    CHECK_RGB(png_px(&p, (int)(x * k), (int)(y * k)), fig_cmap_rgb8(cmap, 0), 6);
    fig_heatmap_cbar_point(&L, 1 - half_px / len, &x, &y);
    CHECK_RGB(png_px(&p, (int)(x * k), (int)(y * k)), fig_cmap_rgb8(cmap, 1 - half_px / len), 2);
    CHECK_RGB(png_px(&p, (int)(x * k), (int)(y * k)), fig_cmap_rgb8(cmap, 1), 6);
    fig_heatmap_cbar_point(&L, 0.5, &x, &y);
    CHECK_RGB(png_px(&p, (int)(x * k), (int)(y * k)), fig_cmap_rgb8(cmap, 0.5), 2);
    /* the bar sits right of the matrix, level with it */
    CHECK(L.cb_x > L.x + C * L.cw);
    CHECK_NEAR(L.cb_top, L.y, 1e-9);
    CHECK_NEAR(L.cb_bottom, L.y + R * L.ch, 1e-9);
    /* labels: 12 classes fit at full size, every one named */
    CHECK(L.label_fs >= 5);
    CHECK_EQ_INT(L.row_step, 1);
    png_read_free(&p);
}

TEST(figure_heatmap_pixels_where_the_layout_says) {
    heatmap_case(FIG_CMAP_VIRIDIS, 0);
    heatmap_case(FIG_CMAP_DIVERGING, 1);
}

TEST(figure_heatmap_thins_labels_of_100_classes) {
    enum { N = 100 };
    float *m = calloc(N * N, sizeof *m);
    const char *names[N];
    int group[N];
    for (int i = 0; i < N; i++) {
        names[i] = "yellow hexagon";
        group[i] = i / 10;
        m[i * N + i] = 1;
    }
    fig_heatmap h = {.m = m, .rows = N, .cols = N, .lo = 0, .hi = 1, .row_labels = names,
                     .col_labels = names, .row_group = group, .col_group = group, .square = 1};
    fig_canvas cv;
    CHECK(fig_canvas_begin(&cv, FIG_PNG, 7.2, 6.4, 30) == 0);
    fig_heatmap_layout L;
    fig_heatmap_layout_compute(cv.cr, &h, 0, 0, cv.w_pt, cv.h_pt, &L);
    /* labels no smaller than 5 pt, and never closer than the font's size */
    CHECK(L.label_fs >= 5);
    CHECK(L.row_step >= 2);
    CHECK(L.row_step * L.ch >= L.label_fs);
    CHECK(L.col_step * L.cw >= L.label_fs);
    CHECK(L.cw > 2); /* the matrix still takes most of the figure */
    fig_canvas_discard(&cv);
    free(m);
}

TEST(figure_png_unpremultiplies_alpha) {
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 4, 2);
    cairo_t *cr = cairo_create(s);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    cairo_set_source_rgba(cr, 1, 0.5, 0, 0.5);
    cairo_paint(cr);
    cairo_destroy(cr);
    fig_bytes b = {0};
    const fig_meta meta[] = {{"Software", "segp test"}, {"Run", "r\xc3\xa9sum\xc3\xa9"}};
    CHECK(fig_png_encode(s, 72, meta, 2, &b) == 0);
    cairo_surface_destroy(s);
    png_read p;
    png_decode(b.p, b.n, &p);
    fig_bytes_free(&b);
    CHECK(p.ok);
    if (!p.ok) return;
    CHECK_EQ_INT(p.color_type, PNG_COLOR_TYPE_RGBA);
    const uint8_t *q = p.rgba;
    CHECK_EQ_INT(q[0], 255);
    CHECK(abs(q[1] - 128) <= 1);
    CHECK_EQ_INT(q[2], 0);
    CHECK(abs(q[3] - 128) <= 1);
    CHECK_EQ_INT(p.ppm_x, 2835); /* 72 dpi */
    CHECK(chunk_text(&p, "Software") && !strcmp(chunk_text(&p, "Software"), "segp test"));
    /* UTF-8 travels in iTXt, intact */
    CHECK(chunk_text(&p, "Run") && !strcmp(chunk_text(&p, "Run"), "r\xc3\xa9sum\xc3\xa9"));
    png_read_free(&p);
}

/* ---- the figures of the shipped run ---- */

TEST(figure_catalogue_lists_and_checks) {
    int n;
    const figure_info *l = figure_list(&n);
    CHECK(n >= 9);
    const char *need[] = {"simmat-text", "simmat-cross", "simmat-proto", "simmat-diff",
                          "projection", "accuracy-matrix", "accuracy-curve", "drift-interface",
                          "anchor-losses"};
    for (int i = 0; i < 9; i++) CHECK_MSG(figure_find(need[i]) != NULL, "%s missing", need[i]);
    for (int i = 0; i < n; i++) CHECK(l[i].w_in >= 1 && l[i].h_in >= 1 && l[i].what[0]);
    CHECK(figure_find("nope") == NULL);
    char name[128];
    figure_options o;
    figure_options_default(&o);
    o.against = RUN_STATE_PRE;
    o.matrix = FIG_MATRIX_CROSS;
    figure_default_name("simmat-diff", 2, &o, name, sizeof name);
    CHECK(!strcmp(name, "simmat-diff-pretrained-cross-t03.png"));
    o.format = FIG_PDF;
    figure_default_name("accuracy-curve", -1, &o, name, sizeof name);
    CHECK(!strcmp(name, "accuracy-curve.pdf"));

    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    figure_options_default(&o);
    CHECK(figure_check(&r, NULL, "simmat-text", 9, &o) == 0);
    CHECK(figure_check(&r, NULL, "nope", 9, &o) != 0 && err_has("simmat-text") &&
          err_has("anchor-losses"));
    CHECK(figure_check(&r, NULL, "simmat-text", 10, &o) != 0 && err_has("out of range"));
    CHECK(figure_check(&r, NULL, "drift-interface", 0, &o) != 0 && err_has("no drift"));
    CHECK(figure_check(&r, NULL, "anchor-losses", 0, &o) != 0 && err_has("no anchors"));
    CHECK(figure_check(&r, NULL, "simmat-diff", 0, &o) != 0 && err_has("no teacher"));
    o.against = RUN_STATE_PRE;
    CHECK(figure_check(&r, NULL, "simmat-diff", 0, &o) == 0);
    CHECK(figure_check(&r, NULL, "accuracy-curve", -1, &o) == 0);
    run_record_free(&r);
}

/* Every PNG in DIR: decodes, pHYs = DPI, provenance, size of its figure at DPI. */
static void check_png_dir(const char *dir, double dpi, const char *config_sha, int *n_png) {
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d) return;
    struct dirent *e;
    int n = 0;
    const png_uint_32 ppm = (png_uint_32)(dpi / 0.0254 + 0.5);
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".png")) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        png_read p;
        CHECK_MSG(png_load(path, &p) == 0, "%s does not decode", e->d_name);
        if (!p.ok) continue;
        n++;
        CHECK_MSG(p.has_phys && p.ppm_x == ppm && p.ppm_y == ppm, "%s: pHYs %u", e->d_name,
                  (unsigned)p.ppm_x);
        const char *fig = chunk_text(&p, "Figure");
        CHECK_MSG(fig && !strncmp(e->d_name, fig, strlen(fig)), "%s: Figure '%s'", e->d_name,
                  fig ? fig : "");
        const figure_info *fi = fig ? figure_find(fig) : NULL;
        CHECK(fi != NULL);
        if (fi) {
            CHECK_MSG(p.w == (int)lround(fi->w_in * dpi) && p.h == (int)lround(fi->h_in * dpi),
                      "%s: %dx%d", e->d_name, p.w, p.h);
            const char *task = chunk_text(&p, "Task");
            CHECK(task != NULL);
            if (task && fi->per_task) {
                /* the task in the name ("-tNN.png") is the task in the chunk */
                const char *tn = strrchr(e->d_name, 't');
                CHECK(tn && atoi(tn + 1) == atoi(task));
            }
        }
        CHECK(chunk_text(&p, "Run") && !strcmp(chunk_text(&p, "Run"), "default-run"));
        CHECK(chunk_text(&p, "Config SHA-256") &&
              !strcmp(chunk_text(&p, "Config SHA-256"), config_sha));
        const char *sw = chunk_text(&p, "Software"), *ver = chunk_text(&p, "Version");
        CHECK(sw && strstr(sw, SEGP_VERSION_STRING) && strstr(sw, segp_build_id()));
        CHECK(ver && strstr(ver, SEGP_VERSION_STRING));
        /* its data beside it */
        snprintf(path + strlen(path) - 4, 5, ".csv");
        CHECK_MSG(path_exists(path), "%s has no .csv", e->d_name);
        png_read_free(&p);
    }
    closedir(d);
    *n_png = n;
}

TEST(figure_export_all_png_of_the_shipped_run) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", tpath("figures-all", NULL));
    char args[2048], out[16384];
    snprintf(args, sizeof args, "export " RUN " --all --dpi 40 --out %s", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    /* every figure of every task, none skipped: task 1's teacher comparisons, drift and
     * anchors are not attempted (there are no old classes yet) */
    CHECK(strstr(out, "exported 127 figures") != NULL);
    CHECK(strstr(out, "skipped") == NULL);
    int n = 0;
    check_png_dir(dir, 40, r.config_sha256, &n);
    CHECK_EQ_INT(n, 127);
    CHECK_EQ_INT(count_files(dir), 2 * 127); /* figures and data, no temporary files */
    /* the data of a similarity matrix: a header and one row per seen class */
    char *csv = read_text(tpath("figures-all/simmat-text-t10.csv", NULL));
    CHECK(csv != NULL);
    if (csv) {
        int lines = 0;
        for (char *p = csv; *p; p++) lines += *p == '\n';
        CHECK_EQ_INT(lines, 101);
        CHECK(strncmp(csv, "text \\ text,", 12) == 0);
        free(csv);
    }
    csv = read_text(tpath("figures-all/accuracy-curve.csv", NULL));
    CHECK(csv && strstr(csv, "task,classes_seen,acc,avg_acc,old_acc,new_acc") == csv);
    CHECK(csv && strstr(csv, "\n10,100,66.8"));
    free(csv);
    run_record_free(&r);
}

TEST(figure_export_api_png_size_dpi_and_provenance) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    figure_options o;
    figure_options_default(&o);
    o.dpi = 150;
    o.width_in = 4;
    o.height_in = 3;
    const char *path = tpath("api-drift.png", NULL);
    CHECK(figure_export(&r, NULL, "drift-interface", 4, &o, path) == 0);
    png_read p;
    CHECK(png_load(path, &p) == 0);
    CHECK_EQ_INT(p.w, 600);
    CHECK_EQ_INT(p.h, 450);
    CHECK_EQ_INT(p.ppm_x, 5906); /* 150 dpi */
    CHECK(chunk_text(&p, "Task") && !strcmp(chunk_text(&p, "Task"), "5"));
    CHECK(chunk_text(&p, "Figure") && !strcmp(chunk_text(&p, "Figure"), "drift-interface"));
    png_read_free(&p);
    CHECK(path_exists(tpath("api-drift.csv", NULL)));
    /* with the task's state already loaded (the workbench's path) */
    run_task_data td;
    CHECK(run_task_load(&r, 9, &td) == 0);
    o.write_data = 0;
    path = tpath("api-proj.png", NULL);
    o.space = FIG_SPACE_TSNE;
    CHECK(figure_export(&r, &td, "projection", 9, &o, path) == 0);
    CHECK(path_exists(path) && !path_exists(tpath("api-proj.csv", NULL)));
    /* a state of another task is refused */
    CHECK(figure_export(&r, &td, "projection", 8, &o, tpath("api-wrong.png", NULL)) != 0);
    CHECK(!path_exists(tpath("api-wrong.png", NULL)));
    run_task_data_free(&td);
    run_record_free(&r);
}

static int have_tool(const char *name) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

TEST(figure_svg_parses_as_xml) {
    int xmllint = have_tool("xmllint"), py = have_tool("python3");
    TEST_NEEDS(xmllint || py, "neither xmllint (libxml2-utils) nor python3 is installed");
    const char *figs[] = {"simmat-diff", "projection", "accuracy-curve", "anchor-losses"};
    for (int i = 0; i < 4; i++) {
        char path[1024], args[2048], out[4096], cmd[2048];
        snprintf(path, sizeof path, "%s", tpath("svg-%s.svg", figs[i]));
        snprintf(args, sizeof args, "export " RUN " --figure %s --task 6 --out %s", figs[i],
                 path);
        CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
        if (xmllint)
            snprintf(cmd, sizeof cmd, "xmllint --noout '%s' 2>&1", path);
        else
            snprintf(cmd, sizeof cmd,
                     "python3 -c \"import sys, xml.dom.minidom as m; "
                     "d = m.parse(sys.argv[1]); "
                     "sys.exit(d.documentElement.tagName != 'svg')\" '%s' 2>&1",
                     path);
        CHECK_MSG(system(cmd) == 0, "%s is not well-formed XML", path);
        char *s = read_text(path);
        CHECK(s && strstr(s, "<svg") && strstr(s, "width=\"") && strstr(s, "pt\""));
        CHECK(s && strstr(s, "Config SHA-256: ")); /* provenance in a comment */
        free(s);
    }
}

/* The text of the PDF at PATH (pdftotext -raw) into OUT (N bytes, NUL-terminated). */
static void pdf_text(const char *path, char *out, size_t n) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "pdftotext -raw '%s' - 2>&1", path);
    FILE *p = popen(cmd, "r");
    size_t got = p ? fread(out, 1, n - 1, p) : 0;
    out[got] = 0;
    if (p) pclose(p);
}

/* The accuracy matrix says its cells right of the diagonal are zero-shot (FWT): unmarked, they
 * read as accuracy after training */
TEST(figure_accuracy_matrix_names_its_zero_shot_cells) {
    TEST_NEEDS(have_tool("pdftotext"), "pdftotext (poppler-utils) is not installed");
    char args[2048], out[4096];
    const char *path = tpath("acc-zs.pdf", NULL);
    snprintf(args, sizeof args, "export " RUN " --figure accuracy-matrix --out %s", path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    pdf_text(path, out, sizeof out);
    CHECK_MSG(strstr(out, "right of the diagonal: zero-shot") != NULL, "%s", out);
}

/* An interrupted run's accuracy curve (7 of 10 tasks) says it stops short */
TEST(figure_accuracy_curve_of_an_unfinished_run) {
    TEST_NEEDS(have_tool("pdftotext"), "pdftotext (poppler-utils) is not installed");
    char dir[1024], cmd[4096], args[2048], out[4096];
    snprintf(dir, sizeof dir, "%s", tpath("curve-interrupted", NULL));
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && cp -r " RUN " '%s' && cd '%s' && rm DONE && rm -r tasks/08 tasks/09 "
             "tasks/10 && head -7 metrics.jsonl > m && mv m metrics.jsonl", dir, dir, dir);
    CHECK(system(cmd) == 0);
    const char *path = tpath("curve-interrupted.pdf", NULL);
    snprintf(args, sizeof args, "export %s --figure accuracy-curve --out %s", dir, path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    pdf_text(path, out, sizeof out);
    CHECK_MSG(strstr(out, "7 of 10 tasks so far") != NULL, "%s", out);
}

/* FIG.PDF without --format: a PDF (the capital extension was refused) */
TEST(figure_capital_extension_names_the_format) {
    char args[2048], out[4096];
    const char *path = tpath("caps.PDF", NULL);
    snprintf(args, sizeof args, "export " RUN " --figure accuracy-curve --out %s", path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    uint8_t *d = NULL;
    size_t n = 0;
    CHECK(segp_read_file(path, &d, &n) == 0);
    CHECK(d && n > 5 && !memcmp(d, "%PDF-", 5));
    free(d);
    CHECK_EQ_INT(fig_format_parse("Svg"), FIG_SVG);
    CHECK_EQ_INT(fig_format_parse("gif"), -1);
}

TEST(figure_pdf_fonts_embedded_not_type3) {
    TEST_NEEDS(have_tool("pdffonts"), "pdffonts (poppler-utils) is not installed");
    const char *figs[] = {"simmat-text", "accuracy-matrix", "drift-interface"};
    for (int i = 0; i < 3; i++) {
        char path[1024], args[2048], out[4096], cmd[2048];
        snprintf(path, sizeof path, "%s", tpath("pdf-%s.pdf", figs[i]));
        snprintf(args, sizeof args, "export " RUN " --figure %s --out %s", figs[i], path);
        CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
        snprintf(cmd, sizeof cmd, "pdffonts '%s' 2>&1", path);
        FILE *f = popen(cmd, "r");
        CHECK(f != NULL);
        if (!f) continue;
        char line[512];
        int fonts = 0, lineno = 0;
        while (fgets(line, sizeof line, f)) {
            if (++lineno <= 2) continue; /* header and rule */
            fonts++;
            CHECK_MSG(!strstr(line, "Type 3"), "%s: Type 3 font: %s", figs[i], line);
            CHECK_MSG(strstr(line, "TrueType") || strstr(line, "CFF") || strstr(line, "Type 1C"),
                      "%s: font type: %s", figs[i], line);
            CHECK_MSG(strstr(line, "DejaVu"), "%s: not DejaVu: %s", figs[i], line);
            CHECK_MSG(strstr(line, " yes "), "%s: not embedded: %s", figs[i], line);
        }
        CHECK_EQ_INT(pclose(f), 0);
        CHECK_MSG(fonts >= 1, "%s: no fonts listed", figs[i]);
    }
}

TEST(figure_compare_overlays_runs) {
    const char *path = tpath("compare.png", NULL);
    char args[2048], out[4096];
    snprintf(args, sizeof args, "export --compare " RUN " " RUN " --labels 'one,two' --out %s",
             path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    png_read p;
    CHECK(png_load(path, &p) == 0);
    CHECK(chunk_text(&p, "Run") && !strcmp(chunk_text(&p, "Run"), "default-run, default-run"));
    png_read_free(&p);
    char *csv = read_text(tpath("compare.csv", NULL));
    CHECK(csv && !strncmp(csv, "task,one,two\n", 13));
    free(csv);
    /* a figure that cannot overlay runs */
    snprintf(args, sizeof args, "export --compare " RUN " " RUN " --figure simmat-text --out %s",
             tpath("compare-bad.png", NULL));
    CHECK(test_run_segp(args, out, sizeof out) != 0);
    CHECK(strstr(out, "cannot overlay") != NULL);
    CHECK(!path_exists(tpath("compare-bad.png", NULL)));
}

/* A copy of the shipped run as a method without anchors (a fine-tune run): config.json says so
 * and tasks/NN have no anchors.safetensors. */
static const char *finetune_copy(void) {
    const char *dir = tpath("finetune-run", NULL);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && cp -r " RUN " '%s' && rm -f '%s'/tasks/*/anchors.safetensors && "
             "sed -i 's/\"method\":\t\"segp\"/\"method\":\t\"finetune\"/' '%s/config.json'",
             dir, dir, dir, dir);
    CHECK(system(cmd) == 0);
    return dir;
}

/* --branch clip: the CLIP branch's matrix (what the accuracy view shows after `c`), its own
 * name and title; refused, with no file, where the run has no such matrix */
TEST(figure_accuracy_matrix_of_the_clip_branch) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    CHECK(r.R_clip != NULL && r.R_clip[0] != r.R[0]);
    if (!r.R_clip) {
        run_record_free(&r);
        return;
    }
    figure_options o;
    figure_options_default(&o);
    o.clip_branch = 1;
    char name[128], want[64];
    figure_default_name("accuracy-matrix", -1, &o, name, sizeof name);
    CHECK(!strcmp(name, "accuracy-matrix-clip.png"));
    char args[4096], out[4096];
    snprintf(args, sizeof args, "export " RUN " --figure accuracy-matrix --branch clip --out %s",
             tpath("clip/accuracy-matrix-clip.png", NULL));
    mkdirs(tpath("clip", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    char *csv = read_text(tpath("clip/accuracy-matrix-clip.csv", NULL));
    CHECK(csv != NULL);
    /* row 1: the CLIP branch's R[0][0], not the full prediction's */
    snprintf(want, sizeof want, "\n1,%.9g,", r.R_clip[0]);
    CHECK_MSG(csv && strstr(csv, want), "%s", csv ? csv : "");
    snprintf(want, sizeof want, "\n10,%.9g,", r.R_clip[90]);
    CHECK_MSG(csv && strstr(csv, want), "%s", csv ? csv : "");
    free(csv);
    run_record_free(&r);

    char dir[1024], cmd[4096];
    snprintf(dir, sizeof dir, "%s", tpath("no-clip-run", NULL));
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r " RUN " '%s' && rm '%s'/accuracy_matrix_clip.*",
             dir, dir, dir);
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "export %s --figure accuracy-matrix --branch clip --out %s", dir,
             tpath("clip/none.png", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "no CLIP-branch accuracy matrix") != NULL, "%s", out);
    CHECK(!path_exists(tpath("clip/none.png", NULL)) && !path_exists(tpath("clip/none.csv", NULL)));
    snprintf(args, sizeof args, "export " RUN " --figure accuracy-matrix --branch half --out %s",
             tpath("clip/none.png", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
}

TEST(figure_bad_requests_leave_no_file) {
    /* tpath's buffers rotate: keep copies */
    char dir[1024], target[1024], ft[1024];
    snprintf(dir, sizeof dir, "%s", tpath("bad", NULL));
    snprintf(target, sizeof target, "%s", tpath("bad/x.png", NULL));
    mkdirs(dir);
    char args[4096], out[8192];

    snprintf(args, sizeof args, "export " RUN " --figure nope --out %s", target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    CHECK(strstr(out, "unknown figure 'nope'") && strstr(out, "simmat-cross") &&
          strstr(out, "drift-interface"));

    snprintf(args, sizeof args, "export " RUN " --figure simmat-text --task 11 --out %s", target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK(strstr(out, "task 11 out of range") && strstr(out, "1..10"));

    snprintf(args, sizeof args, "export " RUN " --figure drift-interface --task 1 --out %s",
             target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK(strstr(out, "task 1 has no drift") != NULL);

    snprintf(ft, sizeof ft, "%s", finetune_copy());
    snprintf(args, sizeof args, "export %s --figure anchor-losses --task 5 --out %s", ft, target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK(strstr(out, "method finetune") && strstr(out, "keeps no anchors"));
    /* without --out nothing is made in the run either (no figures/ folder) */
    snprintf(args, sizeof args, "export %s --figure anchor-losses --task 5", ft);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK(!path_exists(tpath("finetune-run/figures", NULL)));
    /* --all skips what the run lacks and names it, once per figure: anchor-losses at tasks
     * 2-10 (task 1 is not attempted), the other 118 figures written */
    snprintf(args, sizeof args, "export %s --all --dpi 20 --out %s", ft, tpath("ft-all", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK(strstr(out, "skipped anchor-losses-tNN.png for tasks 2-10 (task 2: ") &&
          strstr(out, "keeps no anchors at task 2"));
    CHECK(strstr(out, "exported 118 figures") && strstr(out, "; 9 skipped (above)"));
    int skip_lines = 0;
    for (const char *q = out; (q = strstr(q, "  skipped ")); q++) skip_lines++;
    CHECK_EQ_INT(skip_lines, 1);
    /* tasks with gaps read as ranges: a SeGP-CL run missing three tasks' anchors */
    char holes[1024], cmd[4096];
    snprintf(holes, sizeof holes, "%s", tpath("holes-run", NULL));
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && cp -r " RUN " '%s' && cd '%s/tasks' && "
             "rm 03/anchors.safetensors 05/anchors.safetensors 06/anchors.safetensors",
             holes, holes, holes);
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "export %s --all --dpi 20 --no-data --out %s", holes,
             tpath("holes-all", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK(strstr(out, "skipped anchor-losses-tNN.png for tasks 3, 5-6 (task 3: ") != NULL);
    CHECK(strstr(out, "exported 124 figures") && strstr(out, "; 3 skipped (above)"));
    /* --no-data: the count does not claim a .csv beside each figure (it did) */
    CHECK(strstr(out, "exported 124 figures (png) into ") != NULL);
    CHECK_EQ_INT(count_files(tpath("holes-all", NULL)), 124);

    /* unwritable outputs: a missing folder, a folder that is a file */
    snprintf(args, sizeof args, "export " RUN " --figure accuracy-curve --out %s",
             tpath("bad/missing/x.png", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "missing/x.png: there is no folder ") && strstr(out, "bad/missing\n"),
              "%s", out); /* the folder named, not the figure's .csv */
    write_text(tpath("bad/file", NULL), "not a folder");
    snprintf(args, sizeof args, "export " RUN " --figure accuracy-curve --format pdf --out %s",
             tpath("bad/file/x.pdf", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "bad/file is not a folder") != NULL, "%s", out);
    snprintf(args, sizeof args, "export --compare " RUN " --out %s",
             tpath("bad/missing/c.png", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "there is no folder ") != NULL, "%s", out);
    snprintf(args, sizeof args, "export " RUN " --all --out %s", tpath("bad/file", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    /* one figure's --out a folder: said before drawing (it was 'cannot rename into place: Is
     * a directory' after it, or 'name it .png' without --format) */
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "export " RUN " --figure simmat-text %s--out %s/",
                 k ? "--format pdf " : "", dir);
        CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
        CHECK_MSG(strstr(out, "/ is a folder; name the figure's file (e.g. ") &&
                  strstr(out, "bad/simmat-text.png), or use --all --out "), "%s", out);
    }

    /* bad options */
    snprintf(args, sizeof args, "export " RUN " --figure simmat-text --format gif --out %s",
             target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "export " RUN " --figure simmat-text --out %s.svg --format pdf",
             target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    /* an extension in capitals names its format too: no SVG written into a .PNG */
    snprintf(args, sizeof args, "export " RUN " --figure simmat-text --out %s.PNG --format svg",
             target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    CHECK_MSG(strstr(out, "ends in .PNG but --format is svg") != NULL, "%s", out);
    snprintf(args, sizeof args, "export " RUN " --figure simmat-text --size 0x3 --out %s",
             target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "export " RUN " --figure simmat-text --dpi 5 --out %s", target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    /* NaN fails every range comparison: it must be refused, not drawn at the default size */
    snprintf(args, sizeof args, "export " RUN " --figure simmat-text --size nanxnan --out %s",
             target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    CHECK_MSG(strstr(out, "--size 'nanxnan'") != NULL, "%s", out);
    snprintf(args, sizeof args, "export " RUN " --figure simmat-text --size 7xnan --out %s",
             target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "export " RUN " --figure simmat-text --dpi nan --out %s", target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    CHECK_MSG(strstr(out, "--dpi 'nan'") != NULL, "%s", out);
    snprintf(args, sizeof args, "export " RUN " --figure simmat-text --task 0 --out %s", target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "export %s --figure simmat-text --out %s",
             tpath("no-such-run", NULL), target);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);

    /* nothing at all was left behind: no figure, no data, no temporary file */
    CHECK_EQ_INT(count_files(dir), 1); /* "file" */
    CHECK(!path_exists(tpath("bad/x.csv", NULL)));
}

/* An option the figure does not use is named (it was dropped without a word: --against with
 * simmat-text drew the plain matrix); the figure is still written */
TEST(figure_export_notes_unused_options) {
    char args[2048], out[4096];
    snprintf(args, sizeof args, "export " RUN " --figure simmat-text --against pretrained --out %s",
             tpath("unused-1.png", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "--against is for simmat-diff; simmat-text does not use it"), "%s", out);
    CHECK(path_exists(tpath("unused-1.png", NULL)));
    snprintf(args, sizeof args, "export " RUN " --figure accuracy-curve --task 3 --out %s",
             tpath("unused-2.png", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "accuracy-curve shows the whole run; --task is not used"), "%s", out);
    /* --all draws every task and every variant: '--all --task 3' drew all ten tasks silently */
    snprintf(args, sizeof args, "export " RUN " --all --task 3 --matrix cross --space tsne "
             "--dpi 20 --no-data --out %s", tpath("unused-all", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "--all draws every finished task; --task is not used") &&
              strstr(out, "--matrix and --space are not used") && !strstr(out, "--against") &&
              strstr(out, "exported 127 figures"), "%s", out);
    snprintf(args, sizeof args,
             "export " RUN " --figure simmat-diff --task 10 --against pretrained --matrix cross "
             "--out %s", tpath("unused-3.png", NULL));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_MSG(!strstr(out, "note:"), "%s", out);
}

TEST(figure_export_help_and_list) {
    char out[16384];
    CHECK_EQ_INT(test_run_segp("export --help", out, sizeof out), 0);
    CHECK(strstr(out, "--figure NAME") && strstr(out, "--size WxH") && strstr(out, "INCHES") &&
          strstr(out, "--compare"));
    CHECK_EQ_INT(test_run_segp("export --list", out, sizeof out), 0);
    CHECK(strstr(out, "simmat-diff") && strstr(out, "anchor-losses") &&
          strstr(out, "[7.2x6.4 in]"));
    CHECK_EQ_INT(test_run_segp("export", out, sizeof out), 2);
}
