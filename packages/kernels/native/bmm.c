/*
 * Batched float32 matrix product for the tfjs wasm backend, computed natively on the wasm heap (no copies):
 * C[b] (m×n) = op(A[b]) (m×k) · op(B[b]) (k×n), op = optional transpose, batch broadcast when one side has 1.
 * Row-major. A register-blocked kernel (GCC/Clang vector extensions) in which every C entry sums its k
 * products in order; transposed B is first copied to a k×n scratch block. Built for the widest x86 vector
 * unit at run time (target_clones) where the toolchain supports it, portable vector code elsewhere.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define GDFO_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GDFO_CLONES
#endif

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));

static inline v8 load8(const float *p) { return *(const v8u *)p; }
static inline void store8(float *p, v8 v) { *(v8u *)p = v; }

/* A[i, p] (row-major m×k), or A^T's when ta: A stored k×m. */
#define AT(i, p) (ta ? a[(int64_t)(p) * m + (i)] : a[(int64_t)(i) * k + (p)])

/*
 * Cache blocking: C is computed in panels of KC products × NC columns, so that the B panel in use (at most
 * KC × NC floats, 256 KB) stays in L2 while every 4-row strip of A passes over it. A panel after the first
 * continues each C entry's sum from the value stored by the previous one, so every entry still sums its k
 * products in order: the result is bit-identical to the unblocked loop.
 */
#define KC 256
#define NC 256

/*
 * C[:, j0..j1) (+)= op(A)[:, p0..p1) · B[p0..p1, j0..j1), B row-major k×n; `first`: start the sums at zero,
 * else continue them from C. Register-blocked: 4 rows × 16 columns of C live in eight 8-wide vectors while p
 * runs over the panel; column and row remainders take narrower paths with the same order.
 */
GDFO_CLONES
static void panel(const float *a, const float *b, float *c, int32_t m, int32_t k, int32_t n, int ta, int32_t p0, int32_t p1, int32_t j0, int32_t j1, int first) {
  const v8 zero = {0};
  int32_t i = 0;
  for (; i + 4 <= m; i += 4) {
    int32_t j = j0;
    for (; j + 16 <= j1; j += 16) {
      float *ci = c + (int64_t)i * n + j;
      v8 c00 = first ? zero : load8(ci), c01 = first ? zero : load8(ci + 8);
      v8 c10 = first ? zero : load8(ci + n), c11 = first ? zero : load8(ci + n + 8);
      v8 c20 = first ? zero : load8(ci + 2 * n), c21 = first ? zero : load8(ci + 2 * n + 8);
      v8 c30 = first ? zero : load8(ci + 3 * n), c31 = first ? zero : load8(ci + 3 * n + 8);
      for (int32_t p = p0; p < p1; p++) {
        const float *bp = b + (int64_t)p * n + j;
        const v8 b0 = load8(bp), b1 = load8(bp + 8);
        const float a0 = AT(i, p), a1 = AT(i + 1, p), a2 = AT(i + 2, p), a3 = AT(i + 3, p);
        c00 += a0 * b0; c01 += a0 * b1;
        c10 += a1 * b0; c11 += a1 * b1;
        c20 += a2 * b0; c21 += a2 * b1;
        c30 += a3 * b0; c31 += a3 * b1;
      }
      store8(ci, c00); store8(ci + 8, c01);
      store8(ci + n, c10); store8(ci + n + 8, c11);
      store8(ci + 2 * n, c20); store8(ci + 2 * n + 8, c21);
      store8(ci + 3 * n, c30); store8(ci + 3 * n + 8, c31);
    }
    for (; j + 8 <= j1; j += 8) {
      float *ci = c + (int64_t)i * n + j;
      v8 c0 = first ? zero : load8(ci), c1 = first ? zero : load8(ci + n), c2 = first ? zero : load8(ci + 2 * n), c3 = first ? zero : load8(ci + 3 * n);
      for (int32_t p = p0; p < p1; p++) {
        const v8 b0 = load8(b + (int64_t)p * n + j);
        c0 += AT(i, p) * b0; c1 += AT(i + 1, p) * b0; c2 += AT(i + 2, p) * b0; c3 += AT(i + 3, p) * b0;
      }
      store8(ci, c0); store8(ci + n, c1); store8(ci + 2 * n, c2); store8(ci + 3 * n, c3);
    }
    for (; j < j1; j++) {
      for (int32_t r = 0; r < 4; r++) {
        float *cr = c + (int64_t)(i + r) * n + j;
        float s = first ? 0 : *cr;
        for (int32_t p = p0; p < p1; p++) s += AT(i + r, p) * b[(int64_t)p * n + j];
        *cr = s;
      }
    }
  }
  for (; i < m; i++) {
    int32_t j = j0;
    for (; j + 8 <= j1; j += 8) {
      float *ci = c + (int64_t)i * n + j;
      v8 c0 = first ? zero : load8(ci);
      for (int32_t p = p0; p < p1; p++) c0 += AT(i, p) * load8(b + (int64_t)p * n + j);
      store8(ci, c0);
    }
    for (; j < j1; j++) {
      float *ci = c + (int64_t)i * n + j;
      float s = first ? 0 : *ci;
      for (int32_t p = p0; p < p1; p++) s += AT(i, p) * b[(int64_t)p * n + j];
      *ci = s;
    }
  }
}

/* C (m×n) = op(A) · B, B row-major k×n, in cache-sized panels (see `panel`). */
static void block(const float *a, const float *b, float *c, int32_t m, int32_t k, int32_t n, int ta) {
  if (k == 0) {
    memset(c, 0, sizeof(float) * (size_t)m * (size_t)n);
    return;
  }
  for (int32_t p0 = 0; p0 < k; p0 += KC) {
    const int32_t p1 = p0 + KC < k ? p0 + KC : k;
    for (int32_t j0 = 0; j0 < n; j0 += NC) panel(a, b, c, m, k, n, ta, p0, p1, j0, j0 + NC < n ? j0 + NC : n, p0 == 0);
  }
}
#undef AT

static void transpose(const float *src, float *dst, int32_t rows, int32_t cols) {
  for (int32_t r = 0; r < rows; r++)
    for (int32_t c = 0; c < cols; c++) dst[(int64_t)c * rows + r] = src[(int64_t)r * cols + c];
}

/* Reads (the heap ArrayBuffer, then `count` integers) into *heap, *bytes and v; 0 after throwing a JS error. */
static int read_args(napi_env env, napi_callback_info info, const char *name, size_t count, void **heap, size_t *bytes, int64_t *v) {
  napi_value argv[16];
  size_t argc = 16;
  char message[96];
  if (count + 1 > 16 || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != count + 1) {
    snprintf(message, sizeof message, "gdfo kernels: %s takes %zu arguments", name, count + 1);
    napi_throw_error(env, NULL, message);
    return 0;
  }
  if (napi_get_arraybuffer_info(env, argv[0], heap, bytes) != napi_ok) {
    snprintf(message, sizeof message, "gdfo kernels: %s's first argument must be the heap's ArrayBuffer", name);
    napi_throw_error(env, NULL, message);
    return 0;
  }
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_int64(env, argv[i + 1], &v[i]) != napi_ok) {
      snprintf(message, sizeof message, "gdfo kernels: %s's argument %zu must be a number", name, i + 1);
      napi_throw_error(env, NULL, message);
      return 0;
    }
  }
  return 1;
}

/* bmm(heap: ArrayBuffer, aOff, bOff, cOff, batchA, batchB, m, k, n, transposeA, transposeB); offsets in bytes. */
static napi_value Bmm(napi_env env, napi_callback_info info) {
  void *heap;
  size_t heapBytes;
  int64_t v[10];
  if (!read_args(env, info, "bmm", 10, &heap, &heapBytes, v)) return NULL;
  const int64_t aOff = v[0], bOff = v[1], cOff = v[2], batchA = v[3], batchB = v[4];
  const int32_t m = (int32_t)v[5], k = (int32_t)v[6], n = (int32_t)v[7];
  const int ta = v[8] != 0, tb = v[9] != 0;
  const int64_t batch = batchA > batchB ? batchA : batchB;
  const int64_t aSize = (int64_t)m * k, bSize = (int64_t)k * n, cSize = (int64_t)m * n;
  if (aOff < 0 || bOff < 0 || cOff < 0 || m < 0 || k < 0 || n < 0 || (aOff | bOff | cOff) % 4 != 0 ||
      aOff + 4 * aSize * batchA > (int64_t)heapBytes || bOff + 4 * bSize * batchB > (int64_t)heapBytes ||
      cOff + 4 * cSize * batch > (int64_t)heapBytes) {
    napi_throw_range_error(env, NULL, "gdfo kernels: bmm operands fall outside the heap");
    return NULL;
  }
  const float *a = (const float *)((char *)heap + aOff);
  const float *b = (const float *)((char *)heap + bOff);
  float *c = (float *)((char *)heap + cOff);
  float *scratch = NULL;
  if (tb) {
    scratch = (float *)malloc(sizeof(float) * (size_t)(bSize > 0 ? bSize : 1));
    if (!scratch) {
      napi_throw_error(env, NULL, "gdfo kernels: out of memory");
      return NULL;
    }
  }
  for (int64_t i = 0; i < batch; i++) {
    const float *ai = a + (batchA == 1 ? 0 : i * aSize);
    const float *bi = b + (batchB == 1 ? 0 : i * bSize);
    if (tb) {
      /* B[i] is stored n×k: make the k×n block once per distinct B. */
      if (batchB != 1 || i == 0) transpose(bi, scratch, n, k);
      bi = scratch;
    }
    block(ai, bi, c + i * cSize, m, k, n, ta);
  }
  free(scratch);
  return NULL;
}

/*
 * gather(heap, xOff, idxOff, outOff, outer, dim, slice, count) → -1, or the position of the first index
 * outside [0, dim): out[o, i, :] = x[o, idx[i], :] for 4-byte elements, slices copied whole.
 */
static napi_value Gather(napi_env env, napi_callback_info info) {
  void *heap;
  size_t heapBytes;
  int64_t v[7];
  if (!read_args(env, info, "gather", 7, &heap, &heapBytes, v)) return NULL;
  const int64_t xOff = v[0], idxOff = v[1], outOff = v[2], outer = v[3], dim = v[4], slice = v[5], count = v[6];
  if (xOff < 0 || idxOff < 0 || outOff < 0 || outer < 0 || dim < 0 || slice < 0 || count < 0 || (xOff | idxOff | outOff) % 4 != 0 ||
      xOff + 4 * outer * dim * slice > (int64_t)heapBytes || idxOff + 4 * count > (int64_t)heapBytes ||
      outOff + 4 * outer * count * slice > (int64_t)heapBytes) {
    napi_throw_range_error(env, NULL, "gdfo kernels: gather operands fall outside the heap");
    return NULL;
  }
  const int32_t *idx = (const int32_t *)((char *)heap + idxOff);
  int64_t bad = -1;
  for (int64_t i = 0; i < count; i++) {
    if (idx[i] < 0 || idx[i] >= dim) {
      bad = i;
      break;
    }
  }
  if (bad < 0) {
    const char *x = (const char *)heap + xOff;
    char *out = (char *)heap + outOff;
    const size_t bytes = 4 * (size_t)slice;
    for (int64_t o = 0; o < outer; o++)
      for (int64_t i = 0; i < count; i++)
        memcpy(out + (o * count + i) * bytes, x + (o * dim + idx[i]) * bytes, bytes);
  }
  napi_value result;
  if (napi_create_int64(env, bad, &result) != napi_ok) return NULL;
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "bmm", NAPI_AUTO_LENGTH, Bmm, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "bmm", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "gather", NAPI_AUTO_LENGTH, Gather, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "gather", fn) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
