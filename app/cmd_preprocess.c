/* cmd_preprocess.c: `segp preprocess IMAGE... [--resolution N] --out X.npy`: CLIP's evaluation
 * transform (clip._transform(N), PIL-exact) of each image, written as a float32 N_img x 3 x N x N
 * .npy tensor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "io/image.h"
#include "io/npy.h"
#include "cli_util.h"
#include "commands.h"

#define MAX_RESOLUTION 4096

static void usage(FILE *f) {
    fprintf(f,
            "usage: segp preprocess IMAGE... [--resolution N] --out FILE.npy\n\n"
            "Apply CLIP's evaluation transform (resize the short side to N with PIL's bicubic\n"
            "filter, centre crop N x N, scale to [0, 1], normalise with CLIP's mean/std) to each\n"
            "PNG or JPEG image and write a float32 array of shape (images, 3, N, N).\n\n"
            "options:\n"
            "  -r, --resolution N   output side in pixels (default 224, at most %d)\n"
            "  -o, --out FILE.npy   output file (written atomically)\n"
            "  -h, --help           show this help\n",
            MAX_RESOLUTION);
}

/* Value of option NAME at argv[*i]: "--name=V" or "--name V" (advancing *i). */
static const char *opt_value(int argc, char **argv, int *i, const char *lng, const char *shrt,
                             int *matched) {
    const char *a = argv[*i];
    size_t n = strlen(lng);
    *matched = 0;
    if (!strncmp(a, lng, n) && a[n] == '=') {
        *matched = 1;
        return a + n + 1;
    }
    if (!strcmp(a, lng) || (shrt && !strcmp(a, shrt))) {
        *matched = 1;
        if (*i + 1 >= argc) return NULL;
        return argv[++*i];
    }
    return NULL;
}

int cmd_preprocess(int argc, char **argv) {
    const char *out = NULL;
    long res = 224;
    const char **images = segp_malloc((size_t)(argc > 1 ? argc : 1) * sizeof(char *));
    int n_images = 0, rc = 2;
    for (int i = 1; i < argc; i++) {
        int m;
        const char *v;
        if (app_is_help(argv[i])) {
            usage(stdout);
            rc = 0;
            goto done;
        }
        v = opt_value(argc, argv, &i, "--out", "-o", &m);
        if (m) {
            if (!v || !*v) {
                fprintf(stderr, "segp: error: --out needs a file name\n");
                goto done;
            }
            out = v;
            continue;
        }
        v = opt_value(argc, argv, &i, "--resolution", "-r", &m);
        if (m) {
            char *end = NULL;
            res = v ? strtol(v, &end, 10) : 0;
            if (!v || !*v || *end || res < 1 || res > MAX_RESOLUTION) {
                fprintf(stderr,
                        "segp: error: --resolution '%s' is invalid (expected an integer "
                        "1..%d)\n",
                        v ? v : "", MAX_RESOLUTION);
                goto done;
            }
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "segp: error: unknown option '%s' (see 'segp preprocess --help')\n",
                    argv[i]);
            goto done;
        }
        images[n_images++] = argv[i];
    }
    if (n_images == 0 || !out) {
        fprintf(stderr, "segp: error: %s (see 'segp preprocess --help')\n",
                n_images == 0 ? "no input image given" : "--out FILE.npy is required");
        goto done;
    }

    /* before any decoding: the output's folder, and never an input image in its place */
    int bad = cli_check_out_file(out);
    for (int k = 0; k < n_images && !bad; k++)
        bad = cli_check_out_not_input(out, images[k], "image");
    if (bad) {
        rc = app_report_error();
        goto done;
    }
    const size_t per = (size_t)3 * (size_t)res * (size_t)res;
    float *data = segp_malloc(per * (size_t)n_images * sizeof(float));
    for (int k = 0; k < n_images; k++) {
        if (image_load_clip(images[k], (int)res, data + per * (size_t)k)) {
            free(data);
            rc = app_report_error();
            goto done;
        }
    }
    int64_t shape[4] = {n_images, 3, res, res};
    if (npy_write_f32(out, data, 4, shape)) {
        free(data);
        rc = app_report_error();
        goto done;
    }
    free(data);
    rc = 0;
done:
    free(images);
    return rc;
}
