/* png_read.c: a PNG read back through libpng (png_read.h). */
#include "png_read.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

typedef struct {
    const uint8_t *p;
    size_t n, off;
} mem_src;

static void mem_read(png_structp png, png_bytep out, png_size_t n) {
    mem_src *m = png_get_io_ptr(png);
    if (m->off + n > m->n) png_error(png, "read past the end");
    memcpy(out, m->p + m->off, n);
    m->off += n;
}

void png_decode(const uint8_t *data, size_t size, png_read *r) {
    memset(r, 0, sizeof *r);
    if (size < 8 || png_sig_cmp(data, 0, 8)) return;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_bytep *rows = NULL;
    mem_src src = {data, size, 0};
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        free(r->rgba);
        r->rgba = NULL;
        r->ok = 0;
        return;
    }
    png_set_read_fn(png, &src, mem_read);
    png_read_info(png, info);
    r->w = (int)png_get_image_width(png, info);
    r->h = (int)png_get_image_height(png, info);
    r->color_type = png_get_color_type(png, info);
    r->bit_depth = png_get_bit_depth(png, info);
    r->has_phys = png_get_pHYs(png, info, &r->ppm_x, &r->ppm_y, &r->phys_unit) != 0;
    png_textp text;
    int nt = 0;
    png_get_text(png, info, &text, &nt);
    for (int i = 0; i < nt && r->n_text < 16; i++) {
        snprintf(r->key[r->n_text], sizeof r->key[0], "%s", text[i].key);
        r->value[r->n_text++] = segp_strdup(text[i].text);
    }
    if (r->color_type == PNG_COLOR_TYPE_RGB) png_set_filler(png, 255, PNG_FILLER_AFTER);
    png_read_update_info(png, info);
    r->rgba = malloc((size_t)r->w * r->h * 4);
    rows = malloc(sizeof *rows * (size_t)r->h);
    for (int y = 0; y < r->h; y++) rows[y] = r->rgba + (size_t)y * r->w * 4;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    r->ok = 1;
}

int png_load(const char *path, png_read *r) {
    uint8_t *d;
    size_t n;
    memset(r, 0, sizeof *r);
    if (segp_read_file(path, &d, &n) != 0) return -1;
    png_decode(d, n, r);
    free(d);
    return r->ok ? 0 : -1;
}

void png_read_free(png_read *r) {
    for (int i = 0; i < r->n_text; i++) free(r->value[i]);
    free(r->rgba);
    memset(r, 0, sizeof *r);
}

const char *chunk_text(const png_read *r, const char *key) {
    for (int i = 0; i < r->n_text; i++)
        if (!strcmp(r->key[i], key)) return r->value[i];
    return NULL;
}

uint32_t png_px(const png_read *r, int x, int y) {
    const uint8_t *p = r->rgba + ((size_t)y * r->w + x) * 4;
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

int near_rgb(uint32_t a, uint32_t b, int tol) {
    for (int s = 0; s < 24; s += 8) {
        int d = (int)((a >> s) & 255) - (int)((b >> s) & 255);
        if (d < -tol || d > tol) return 0;
    }
    return 1;
}
