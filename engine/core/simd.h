/* Internal: the engine is built for the baseline x86-64 its distribution
 * targets, so the hottest kernels carry an AVX2+FMA clone as well, chosen when
 * the library is loaded (GCC/clang function multiversioning). Elsewhere the
 * macro does nothing. */
#ifndef CG_CORE_SIMD_H
#define CG_CORE_SIMD_H

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones) && !defined(__SANITIZE_ADDRESS__)
#define CG_KERNEL __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#endif
#ifndef CG_KERNEL
#define CG_KERNEL
#endif

/* Eight floats as one value (GCC/clang vector extension): kernels write plain
 * arithmetic on it, which becomes one AVX instruction in the AVX2 clones and
 * two SSE ones in the baseline. Load and store with memcpy (no alignment). */
typedef float v8 __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32))); /* comparisons of v8 give this: lanes of 0 or -1 */

/* Unaligned load of a v8 value, as one instruction (a memcpy into an array
 * element can become two half stores and a whole reload, which stalls). A
 * macro: a function returning v8 would change the baseline build's ABI. */
#define LOAD8(p)                                                                                                  \
    ({                                                                                                            \
        v8 loaded_;                                                                                               \
        __builtin_memcpy(&loaded_, (p), sizeof loaded_);                                                          \
        loaded_;                                                                                                  \
    })

#endif
