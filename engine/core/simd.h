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

#endif
