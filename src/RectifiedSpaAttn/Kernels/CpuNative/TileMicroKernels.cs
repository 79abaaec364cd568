using System.Runtime.CompilerServices;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// The two register-blocked products of a flash tile, both with query rows along the vector lanes: transposed scores
/// <c>Sᵀ = K Qᵀ</c> (key elements broadcast, transposed query rows as vectors) and the update <c>O = alpha O + P V</c>
/// (probabilities broadcast, value rows as vectors). Keeping queries in the lanes means keys are read as plain rows, so
/// fp32 keys and values are used in place with no per-tile transpose or copy, and the softmax over keys becomes
/// lane-wise work down the columns of <c>Sᵀ</c>. Each main loop computes a 4 x 4-register block so that every loaded
/// vector feeds four FMAs and every broadcast four more: 16 accumulators plus 5 operands, which fit the 32 registers of
/// AVX-512 and NEON (AVX2's 16 spill a few).
/// </summary>
internal static unsafe class TileMicroKernels
{
    /// <summary>
    /// <c>sT[c, r] = sum_d keys[c][d] * qT[d, r]</c> for keys <c>[0, keyCount)</c> and rows <c>[0, rows)</c>.
    /// </summary>
    /// <param name="keys">Key row pointers, each <c>dim</c> floats.</param>
    /// <param name="keyCount">Keys in the tile.</param>
    /// <param name="qT">Query tile transposed and scaled, <c>[dim, rows]</c>.</param>
    /// <param name="dim">D.</param>
    /// <param name="sT">Scores, <c>[keyCount, rows]</c>.</param>
    /// <param name="rows">Rows (row stride of qT and sT); a multiple of <c>Width</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores<TOps, TVec>(float** keys, int keyCount, float* qT, int dim, float* sT, int rows)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        int c = 0;
        for (; c + 4 <= keyCount; c += 4)
        {
            float* k0 = keys[c], k1 = keys[c + 1], k2 = keys[c + 2], k3 = keys[c + 3];
            float* s0 = sT + c * rows, s1 = s0 + rows, s2 = s1 + rows, s3 = s2 + rows;
            int r = 0;
            for (; r + 4 * w <= rows; r += 4 * w)
            {
                TVec a00 = TOps.Zero, a01 = TOps.Zero, a02 = TOps.Zero, a03 = TOps.Zero;
                TVec a10 = TOps.Zero, a11 = TOps.Zero, a12 = TOps.Zero, a13 = TOps.Zero;
                TVec a20 = TOps.Zero, a21 = TOps.Zero, a22 = TOps.Zero, a23 = TOps.Zero;
                TVec a30 = TOps.Zero, a31 = TOps.Zero, a32 = TOps.Zero, a33 = TOps.Zero;
                float* q = qT + r;
                for (int d = 0; d < dim; d++, q += rows)
                {
                    TVec q0 = TOps.Load(q), q1 = TOps.Load(q + w), q2 = TOps.Load(q + 2 * w), q3 = TOps.Load(q + 3 * w);
                    TVec b = TOps.Broadcast(k0[d]);
                    a00 = TOps.MultiplyAdd(b, q0, a00); a01 = TOps.MultiplyAdd(b, q1, a01); a02 = TOps.MultiplyAdd(b, q2, a02); a03 = TOps.MultiplyAdd(b, q3, a03);
                    b = TOps.Broadcast(k1[d]);
                    a10 = TOps.MultiplyAdd(b, q0, a10); a11 = TOps.MultiplyAdd(b, q1, a11); a12 = TOps.MultiplyAdd(b, q2, a12); a13 = TOps.MultiplyAdd(b, q3, a13);
                    b = TOps.Broadcast(k2[d]);
                    a20 = TOps.MultiplyAdd(b, q0, a20); a21 = TOps.MultiplyAdd(b, q1, a21); a22 = TOps.MultiplyAdd(b, q2, a22); a23 = TOps.MultiplyAdd(b, q3, a23);
                    b = TOps.Broadcast(k3[d]);
                    a30 = TOps.MultiplyAdd(b, q0, a30); a31 = TOps.MultiplyAdd(b, q1, a31); a32 = TOps.MultiplyAdd(b, q2, a32); a33 = TOps.MultiplyAdd(b, q3, a33);
                }
                TOps.Store(s0 + r, a00); TOps.Store(s0 + r + w, a01); TOps.Store(s0 + r + 2 * w, a02); TOps.Store(s0 + r + 3 * w, a03);
                TOps.Store(s1 + r, a10); TOps.Store(s1 + r + w, a11); TOps.Store(s1 + r + 2 * w, a12); TOps.Store(s1 + r + 3 * w, a13);
                TOps.Store(s2 + r, a20); TOps.Store(s2 + r + w, a21); TOps.Store(s2 + r + 2 * w, a22); TOps.Store(s2 + r + 3 * w, a23);
                TOps.Store(s3 + r, a30); TOps.Store(s3 + r + w, a31); TOps.Store(s3 + r + 2 * w, a32); TOps.Store(s3 + r + 3 * w, a33);
            }
            // Tiles of fewer rows than 4 registers (short query blocks, narrow vectors): one register of rows at a time.
            for (; r < rows; r += w)
            {
                TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
                float* q = qT + r;
                for (int d = 0; d < dim; d++, q += rows)
                {
                    TVec x = TOps.Load(q);
                    a0 = TOps.MultiplyAdd(TOps.Broadcast(k0[d]), x, a0);
                    a1 = TOps.MultiplyAdd(TOps.Broadcast(k1[d]), x, a1);
                    a2 = TOps.MultiplyAdd(TOps.Broadcast(k2[d]), x, a2);
                    a3 = TOps.MultiplyAdd(TOps.Broadcast(k3[d]), x, a3);
                }
                TOps.Store(s0 + r, a0); TOps.Store(s1 + r, a1); TOps.Store(s2 + r, a2); TOps.Store(s3 + r, a3);
            }
        }
        // The last keys of a tile whose count is not a multiple of 4: one key at a time.
        for (; c < keyCount; c++)
        {
            float* k0 = keys[c], s0 = sT + c * rows;
            for (int r = 0; r < rows; r += w)
            {
                TVec a = TOps.Zero;
                float* q = qT + r;
                for (int d = 0; d < dim; d++, q += rows) a = TOps.MultiplyAdd(TOps.Broadcast(k0[d]), TOps.Load(q), a);
                TOps.Store(s0 + r, a);
            }
        }
    }

    /// <summary>
    /// <c>o[r, :] = alpha[r] * o[r, :] + sum_{c &lt; keyCount} pT[c, r] * values[c][:]</c> for rows <c>[0, rows)</c>.
    /// </summary>
    /// <param name="pT">Probabilities, <c>[keyCount, rows]</c>.</param>
    /// <param name="keyCount">Keys in the tile.</param>
    /// <param name="values">Value row pointers, each at least <paramref name="paddedDim"/> readable floats.</param>
    /// <param name="paddedDim">D rounded up to a multiple of <c>Width</c> (columns past D are computed and ignored).</param>
    /// <param name="alpha">Per-row rescale of the old accumulator (the online-softmax correction).</param>
    /// <param name="o">Accumulators, <c>[rows, paddedDim]</c>.</param>
    /// <param name="rows">Rows (row stride of pT); a multiple of 4.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateValues<TOps, TVec>(float* pT, int keyCount, float** values, int paddedDim, float* alpha, float* o, int rows)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        for (int r = 0; r < rows; r += 4)
        {
            float* o0 = o + r * paddedDim, o1 = o0 + paddedDim, o2 = o1 + paddedDim, o3 = o2 + paddedDim;
            TVec r0 = TOps.Broadcast(alpha[r]), r1 = TOps.Broadcast(alpha[r + 1]), r2 = TOps.Broadcast(alpha[r + 2]), r3 = TOps.Broadcast(alpha[r + 3]);
            int d = 0;
            for (; d + 4 * w <= paddedDim; d += 4 * w)
            {
                TVec a00 = TOps.Multiply(r0, TOps.Load(o0 + d)), a01 = TOps.Multiply(r0, TOps.Load(o0 + d + w)), a02 = TOps.Multiply(r0, TOps.Load(o0 + d + 2 * w)), a03 = TOps.Multiply(r0, TOps.Load(o0 + d + 3 * w));
                TVec a10 = TOps.Multiply(r1, TOps.Load(o1 + d)), a11 = TOps.Multiply(r1, TOps.Load(o1 + d + w)), a12 = TOps.Multiply(r1, TOps.Load(o1 + d + 2 * w)), a13 = TOps.Multiply(r1, TOps.Load(o1 + d + 3 * w));
                TVec a20 = TOps.Multiply(r2, TOps.Load(o2 + d)), a21 = TOps.Multiply(r2, TOps.Load(o2 + d + w)), a22 = TOps.Multiply(r2, TOps.Load(o2 + d + 2 * w)), a23 = TOps.Multiply(r2, TOps.Load(o2 + d + 3 * w));
                TVec a30 = TOps.Multiply(r3, TOps.Load(o3 + d)), a31 = TOps.Multiply(r3, TOps.Load(o3 + d + w)), a32 = TOps.Multiply(r3, TOps.Load(o3 + d + 2 * w)), a33 = TOps.Multiply(r3, TOps.Load(o3 + d + 3 * w));
                float* p = pT + r;
                for (int c = 0; c < keyCount; c++, p += rows)
                {
                    float* vc = values[c] + d;
                    TVec v0 = TOps.Load(vc), v1 = TOps.Load(vc + w), v2 = TOps.Load(vc + 2 * w), v3 = TOps.Load(vc + 3 * w);
                    TVec b = TOps.Broadcast(p[0]);
                    a00 = TOps.MultiplyAdd(b, v0, a00); a01 = TOps.MultiplyAdd(b, v1, a01); a02 = TOps.MultiplyAdd(b, v2, a02); a03 = TOps.MultiplyAdd(b, v3, a03);
                    b = TOps.Broadcast(p[1]);
                    a10 = TOps.MultiplyAdd(b, v0, a10); a11 = TOps.MultiplyAdd(b, v1, a11); a12 = TOps.MultiplyAdd(b, v2, a12); a13 = TOps.MultiplyAdd(b, v3, a13);
                    b = TOps.Broadcast(p[2]);
                    a20 = TOps.MultiplyAdd(b, v0, a20); a21 = TOps.MultiplyAdd(b, v1, a21); a22 = TOps.MultiplyAdd(b, v2, a22); a23 = TOps.MultiplyAdd(b, v3, a23);
                    b = TOps.Broadcast(p[3]);
                    a30 = TOps.MultiplyAdd(b, v0, a30); a31 = TOps.MultiplyAdd(b, v1, a31); a32 = TOps.MultiplyAdd(b, v2, a32); a33 = TOps.MultiplyAdd(b, v3, a33);
                }
                TOps.Store(o0 + d, a00); TOps.Store(o0 + d + w, a01); TOps.Store(o0 + d + 2 * w, a02); TOps.Store(o0 + d + 3 * w, a03);
                TOps.Store(o1 + d, a10); TOps.Store(o1 + d + w, a11); TOps.Store(o1 + d + 2 * w, a12); TOps.Store(o1 + d + 3 * w, a13);
                TOps.Store(o2 + d, a20); TOps.Store(o2 + d + w, a21); TOps.Store(o2 + d + 2 * w, a22); TOps.Store(o2 + d + 3 * w, a23);
                TOps.Store(o3 + d, a30); TOps.Store(o3 + d + w, a31); TOps.Store(o3 + d + 2 * w, a32); TOps.Store(o3 + d + 3 * w, a33);
            }
            // Head dims that are not a multiple of 4 registers (D = 8, 63, 80 ...): one register per row at a time.
            for (; d < paddedDim; d += w)
            {
                TVec a0 = TOps.Multiply(r0, TOps.Load(o0 + d)), a1 = TOps.Multiply(r1, TOps.Load(o1 + d));
                TVec a2 = TOps.Multiply(r2, TOps.Load(o2 + d)), a3 = TOps.Multiply(r3, TOps.Load(o3 + d));
                float* p = pT + r;
                for (int c = 0; c < keyCount; c++, p += rows)
                {
                    TVec x = TOps.Load(values[c] + d);
                    a0 = TOps.MultiplyAdd(TOps.Broadcast(p[0]), x, a0);
                    a1 = TOps.MultiplyAdd(TOps.Broadcast(p[1]), x, a1);
                    a2 = TOps.MultiplyAdd(TOps.Broadcast(p[2]), x, a2);
                    a3 = TOps.MultiplyAdd(TOps.Broadcast(p[3]), x, a3);
                }
                TOps.Store(o0 + d, a0); TOps.Store(o1 + d, a1); TOps.Store(o2 + d, a2); TOps.Store(o3 + d, a3);
            }
        }
    }
}
