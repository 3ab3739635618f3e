/* geometry.h: cross-modal geometry (METHOD.md §10) as pure functions: cosine-similarity
 * matrices of embedding sets and the scalar summaries that compare two states of one geometry
 * (mean |dG|, Pearson r of the upper triangles, linear CKA of the embeddings). Double
 * accumulation; deterministic. */
#ifndef SEGP_GEOMETRY_H
#define SEGP_GEOMETRY_H

/* OUT [na, nb] = cos(A[i], B[j]) of rows of A [na, e] and B [nb, e] (rows normalised here; a
 * zero row gives 0). */
void geom_cosine_matrix(const float *a, int na, const float *b, int nb, int e, float *out);

/* mean |A - B| over all n entries. */
double geom_mean_abs_diff(const float *a, const float *b, long n);

/* Pearson correlation of two arrays of N entries (NAN when n < 2 or an array is constant). */
double geom_pearson(const float *a, const float *b, long n);

/* Pearson correlation of the strict upper triangles of two n x n matrices (NAN when n < 3 or a
 * triangle is constant). */
double geom_pearson_upper(const float *a, const float *b, int n);

/* Linear CKA (Kornblith et al. 2019) of X [n, dx] and Y [n, dy] (the same n items in two
 * representations): columns centred, ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F); in [0, 1],
 * invariant to orthogonal transforms and isotropic scaling. NAN when a side is constant. */
double geom_linear_cka(const float *x, const float *y, int n, int dx, int dy);

#endif
