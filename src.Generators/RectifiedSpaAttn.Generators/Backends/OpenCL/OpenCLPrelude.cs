namespace RectifiedSpaAttn.Generators.Backends.OpenCL;

/// <summary>
/// Helper functions placed before the kernel. They are plain (external) functions: OpenCL C 1.2's <c>inline</c> has C99
/// semantics and can leave an undefined symbol when the compiler declines to inline.
/// </summary>
internal static class OpenCLPrelude
{
    /// <summary>Words of <c>__local uint</c> scratch the warp emulation uses (4 KiB).</summary>
    public const int ExchangeWords = 1024;

    /// <summary>Bytes of that scratch.</summary>
    public const int ExchangeBytes = ExchangeWords * 4;

    /// <summary>
    /// Most work items per group on OpenCL, as on CUDA: the one-word collectives give each work item one scratch word,
    /// so <see cref="ExchangeWords"/> must cover the largest group.
    /// </summary>
    public const int MaxGroupSize = ExchangeWords;

    /// <summary>Words one lane stages for mma: A (4) and B (2); C stays in the lane because D has C's layout.</summary>
    public const int MmaWordsPerLane = 6;

    /// <summary>Warps staged per mma round: 1024 / (6 * 32) = 5.</summary>
    public const int MmaWarpsPerRound = ExchangeWords / (MmaWordsPerLane * 32);

    /// <summary>
    /// fp16 goes through vload_half/vstore_half only (NVIDIA's OpenCL has no cl_khr_fp16); bf16 is the upper half of
    /// a single, rounded to nearest even on the way down with NaN kept quiet (as RectifiedSpaAttn.Numerics.BFloat16).
    /// </summary>
    public const string Conversions = """
        float rsa_f16_to_f32(ushort bits) { return vload_half(0, (const half*)&bits); }
        ushort rsa_f32_to_f16(float value) { ushort bits; vstore_half_rte(value, 0, (half*)&bits); return bits; }
        float rsa_bf16_to_f32(ushort bits) { return as_float((uint)bits << 16); }
        ushort rsa_f32_to_bf16(float value)
        {
            uint u = as_uint(value);
            if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort)((u >> 16) | 0x40u);
            return (ushort)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
        }
        uint rsa_pack_bf16(float lo, float hi) { return (uint)rsa_f32_to_bf16(lo) | ((uint)rsa_f32_to_bf16(hi) << 16); }
        uint rsa_pack_f16(float lo, float hi) { return (uint)rsa_f32_to_f16(lo) | ((uint)rsa_f32_to_f16(hi) << 16); }

        """;

    /// <summary>Float atomic add as a compare-exchange loop on the bits (OpenCL 1.2 has integer atomics only).</summary>
    public const string FloatAtomics = """
        float rsa_atomic_add_f32_global(volatile __global float* p, float v)
        {
            volatile __global uint* q = (volatile __global uint*)p;
            uint old = *q, seen;
            do { seen = old; old = atomic_cmpxchg(q, seen, as_uint(as_float(seen) + v)); } while (old != seen);
            return as_float(old);
        }
        float rsa_atomic_add_f32_local(volatile __local float* p, float v)
        {
            volatile __local uint* q = (volatile __local uint*)p;
            uint old = *q, seen;
            do { seen = old; old = atomic_cmpxchg(q, seen, as_uint(as_float(seen) + v)); } while (old != seen);
            return as_float(old);
        }

        """;

    /// <summary>
    /// Warp collectives emulated through __local scratch and group barriers, so every thread of the group must call
    /// them (group-uniform control flow). Lane = linear id &amp; 31, warp = id &gt;&gt; 5. Groups have at most
    /// <see cref="MaxGroupSize"/> work items, so the one-word collectives (shuffle, ldmatrix) give every work item its
    /// own scratch word and run straight-line: stage, barrier, read, barrier. A loop around those barriers (staging
    /// warps in rounds) made pocl's work-group function generation take minutes once a kernel had a dozen shuffles
    /// inside a loop; mma stages 6 words per lane and still goes in rounds of <see cref="MmaWarpsPerRound"/> warps, a loop
    /// the compiler drops where the kernel has launch bounds (the round count is then a constant, see OpenCLBackend).
    /// </summary>
    public const string Warp = """
        /* shfl.sync: every lane publishes its value, then reads the source lane's word of its own warp. */
        uint rsa_shuffle(__local uint* x, uint value, int src, int lin)
        {
            x[lin] = value;
            barrier(CLK_LOCAL_MEM_FENCE);
            const uint result = x[(lin & ~31) | (src & 31)];
            barrier(CLK_LOCAL_MEM_FENCE);
            return result;
        }

        /* ldmatrix.m8n8.b16: every lane publishes the byte offset (from root) of its row; lanes 8m..8m+7 give matrix m.
           Lane l receives row l/4, columns 2(l%4) and 2(l%4)+1; with trans, column l/4, rows 2(l%4) and 2(l%4)+1. */
        void rsa_ldmatrix(__local uint* x, __local const uchar* root, uint row_offset, int count, int trans, uint* out, int lin)
        {
            const int lane = lin & 31;
            x[lin] = row_offset;
            barrier(CLK_LOCAL_MEM_FENCE);
            __local const uint* rows = x + (lin & ~31);
            for (int m = 0; m < count; m++)
            {
                uint lo_at, hi_at;
                if (trans)
                {
                    lo_at = rows[(m << 3) + ((lane & 3) << 1)] + ((uint)(lane >> 2) << 1);
                    hi_at = rows[(m << 3) + ((lane & 3) << 1) + 1] + ((uint)(lane >> 2) << 1);
                }
                else
                {
                    lo_at = rows[(m << 3) + (lane >> 2)] + ((uint)(lane & 3) << 2);
                    hi_at = lo_at + 2u;
                }
                out[m] = (uint)*(__local const ushort*)(root + lo_at) | ((uint)*(__local const ushort*)(root + hi_at) << 16);
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }

        /* The 16-bit element half (0 low, 1 high) of a staged word, widened to float. */
        float rsa_mma_elem(uint word, int half_index, int bf16)
        {
            const ushort bits = (ushort)(half_index ? word >> 16 : word & 0xffffu);
            return bf16 ? rsa_bf16_to_f32(bits) : rsa_f16_to_f32(bits);
        }

        /* mma.sync.m16n8k16.row.col.f32.{bf16,f16}: PTX ISA fragment layouts, g = lane >> 2, t = lane & 3.
           A: reg j holds row g + 8*(j & 1), columns 2t + 8*(j >> 1) + {0,1}.  B: reg j holds rows 2t + 8j + {0,1}, column g.
           C/D: element i is row g + 8*(i >> 1), column 2t + (i & 1). Products of 16-bit floats are exact in f32. */
        void rsa_mma_m16n8k16(__local uint* x, int bf16, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1, float* d, int lin, int warps)
        {
            const int lane = lin & 31;
            for (int r = 0; r < warps; r += 5)
            {
                const int w = (lin >> 5) - r;
                const bool staged = w >= 0 && w < 5;
                if (staged)
                {
                    __local uint* s = x + w * 192 + lane * 6;
                    s[0] = a0; s[1] = a1; s[2] = a2; s[3] = a3; s[4] = b0; s[5] = b1;
                }
                barrier(CLK_LOCAL_MEM_FENCE);
                if (staged)
                {
                    __local const uint* s = x + w * 192;
                    const int g = lane >> 2, t = lane & 3;
                    for (int i = 0; i < 4; i++)
                    {
                        const int row = g + ((i >> 1) << 3), col = (t << 1) + (i & 1);
                        float acc = d[i];
                        for (int k = 0; k < 16; k++)
                        {
                            const int a_lane = ((row & 7) << 2) + ((k & 7) >> 1), a_reg = (row >> 3) + ((k >> 3) << 1);
                            const int b_lane = (col << 2) + ((k & 7) >> 1), b_reg = 4 + (k >> 3);
                            acc = fma(rsa_mma_elem(s[a_lane * 6 + a_reg], k & 1, bf16), rsa_mma_elem(s[b_lane * 6 + b_reg], k & 1, bf16), acc);
                        }
                        d[i] = acc;
                    }
                }
                barrier(CLK_LOCAL_MEM_FENCE);
            }
        }

        """;
}
