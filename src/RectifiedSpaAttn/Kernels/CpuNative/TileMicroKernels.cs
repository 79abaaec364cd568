using System.Runtime.CompilerServices;

namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// The two register-blocked products of a flash tile: scores <c>S = Q Kᵀ</c> and the update <c>O = alpha O + P V</c>.
/// Each computes a 4-row by 4-register block per pass so that every loaded vector feeds four FMAs and every broadcast
/// scalar four more: 16 accumulators plus 5 operands, which fit the 32 registers of AVX-512 and NEON (AVX2's 16 spill a
/// few, still far ahead of an unblocked loop).
/// Row counts must be multiples of 4 (callers pad query tiles with zero rows).
/// </summary>
internal static unsafe class TileMicroKernels
{
    /// <summary>
    /// <c>s[r, c] = sum_d q[r, d] * kT[d, c]</c> for rows <c>[0, rows)</c> and all <paramref name="keyColumns"/> columns.
    /// </summary>
    /// <param name="q">Query rows, <c>[rows, dim]</c> (already scaled).</param>
    /// <param name="dim">D.</param>
    /// <param name="kT">The key tile transposed, <c>[dim, keyColumns]</c>: one vector holds one d of several keys.</param>
    /// <param name="keyColumns">Columns of the tile; a multiple of <c>4 * Width</c>.</param>
    /// <param name="s">Scores, <c>[rows, keyColumns]</c>.</param>
    /// <param name="rows">Rows; a multiple of 4.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores<TOps, TVec>(float* q, int dim, float* kT, int keyColumns, float* s, int rows)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        for (int r = 0; r < rows; r += 4)
        {
            float* q0 = q + r * dim, q1 = q0 + dim, q2 = q1 + dim, q3 = q2 + dim;
            for (int c = 0; c < keyColumns; c += 4 * w)
            {
                TVec a00 = TOps.Zero, a01 = TOps.Zero, a02 = TOps.Zero, a03 = TOps.Zero;
                TVec a10 = TOps.Zero, a11 = TOps.Zero, a12 = TOps.Zero, a13 = TOps.Zero;
                TVec a20 = TOps.Zero, a21 = TOps.Zero, a22 = TOps.Zero, a23 = TOps.Zero;
                TVec a30 = TOps.Zero, a31 = TOps.Zero, a32 = TOps.Zero, a33 = TOps.Zero;
                float* k = kT + c;
                for (int d = 0; d < dim; d++, k += keyColumns)
                {
                    TVec k0 = TOps.Load(k), k1 = TOps.Load(k + w), k2 = TOps.Load(k + 2 * w), k3 = TOps.Load(k + 3 * w);
                    TVec b = TOps.Broadcast(q0[d]);
                    a00 = TOps.MultiplyAdd(b, k0, a00); a01 = TOps.MultiplyAdd(b, k1, a01); a02 = TOps.MultiplyAdd(b, k2, a02); a03 = TOps.MultiplyAdd(b, k3, a03);
                    b = TOps.Broadcast(q1[d]);
                    a10 = TOps.MultiplyAdd(b, k0, a10); a11 = TOps.MultiplyAdd(b, k1, a11); a12 = TOps.MultiplyAdd(b, k2, a12); a13 = TOps.MultiplyAdd(b, k3, a13);
                    b = TOps.Broadcast(q2[d]);
                    a20 = TOps.MultiplyAdd(b, k0, a20); a21 = TOps.MultiplyAdd(b, k1, a21); a22 = TOps.MultiplyAdd(b, k2, a22); a23 = TOps.MultiplyAdd(b, k3, a23);
                    b = TOps.Broadcast(q3[d]);
                    a30 = TOps.MultiplyAdd(b, k0, a30); a31 = TOps.MultiplyAdd(b, k1, a31); a32 = TOps.MultiplyAdd(b, k2, a32); a33 = TOps.MultiplyAdd(b, k3, a33);
                }
                float* s0 = s + r * keyColumns + c, s1 = s0 + keyColumns, s2 = s1 + keyColumns, s3 = s2 + keyColumns;
                TOps.Store(s0, a00); TOps.Store(s0 + w, a01); TOps.Store(s0 + 2 * w, a02); TOps.Store(s0 + 3 * w, a03);
                TOps.Store(s1, a10); TOps.Store(s1 + w, a11); TOps.Store(s1 + 2 * w, a12); TOps.Store(s1 + 3 * w, a13);
                TOps.Store(s2, a20); TOps.Store(s2 + w, a21); TOps.Store(s2 + 2 * w, a22); TOps.Store(s2 + 3 * w, a23);
                TOps.Store(s3, a30); TOps.Store(s3 + w, a31); TOps.Store(s3 + 2 * w, a32); TOps.Store(s3 + 3 * w, a33);
            }
        }
    }

    /// <summary>
    /// <c>o[r, :] = alpha[r] * o[r, :] + sum_{c &lt; keys} p[r, c] * v[c, :]</c> for rows <c>[0, rows)</c>.
    /// </summary>
    /// <param name="p">Probabilities, <c>[rows, keyColumns]</c>.</param>
    /// <param name="keyColumns">Row stride of <paramref name="p"/>.</param>
    /// <param name="keys">Keys of the tile that hold values (the rest of each p row is not read).</param>
    /// <param name="v">Value rows, <c>[keys, paddedDim]</c>.</param>
    /// <param name="paddedDim">D rounded up to a multiple of <c>Width</c>; the padding columns of v are zero.</param>
    /// <param name="alpha">Per-row rescale of the old accumulator (the online-softmax correction).</param>
    /// <param name="o">Accumulators, <c>[rows, paddedDim]</c>.</param>
    /// <param name="rows">Rows; a multiple of 4.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateValues<TOps, TVec>(float* p, int keyColumns, int keys, float* v, int paddedDim, float* alpha, float* o, int rows)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        for (int r = 0; r < rows; r += 4)
        {
            float* p0 = p + r * keyColumns, p1 = p0 + keyColumns, p2 = p1 + keyColumns, p3 = p2 + keyColumns;
            float* o0 = o + r * paddedDim, o1 = o0 + paddedDim, o2 = o1 + paddedDim, o3 = o2 + paddedDim;
            TVec r0 = TOps.Broadcast(alpha[r]), r1 = TOps.Broadcast(alpha[r + 1]), r2 = TOps.Broadcast(alpha[r + 2]), r3 = TOps.Broadcast(alpha[r + 3]);
            int d = 0;
            for (; d + 4 * w <= paddedDim; d += 4 * w)
            {
                TVec a00 = TOps.Multiply(r0, TOps.Load(o0 + d)), a01 = TOps.Multiply(r0, TOps.Load(o0 + d + w)), a02 = TOps.Multiply(r0, TOps.Load(o0 + d + 2 * w)), a03 = TOps.Multiply(r0, TOps.Load(o0 + d + 3 * w));
                TVec a10 = TOps.Multiply(r1, TOps.Load(o1 + d)), a11 = TOps.Multiply(r1, TOps.Load(o1 + d + w)), a12 = TOps.Multiply(r1, TOps.Load(o1 + d + 2 * w)), a13 = TOps.Multiply(r1, TOps.Load(o1 + d + 3 * w));
                TVec a20 = TOps.Multiply(r2, TOps.Load(o2 + d)), a21 = TOps.Multiply(r2, TOps.Load(o2 + d + w)), a22 = TOps.Multiply(r2, TOps.Load(o2 + d + 2 * w)), a23 = TOps.Multiply(r2, TOps.Load(o2 + d + 3 * w));
                TVec a30 = TOps.Multiply(r3, TOps.Load(o3 + d)), a31 = TOps.Multiply(r3, TOps.Load(o3 + d + w)), a32 = TOps.Multiply(r3, TOps.Load(o3 + d + 2 * w)), a33 = TOps.Multiply(r3, TOps.Load(o3 + d + 3 * w));
                float* vc = v + d;
                for (int c = 0; c < keys; c++, vc += paddedDim)
                {
                    TVec v0 = TOps.Load(vc), v1 = TOps.Load(vc + w), v2 = TOps.Load(vc + 2 * w), v3 = TOps.Load(vc + 3 * w);
                    TVec b = TOps.Broadcast(p0[c]);
                    a00 = TOps.MultiplyAdd(b, v0, a00); a01 = TOps.MultiplyAdd(b, v1, a01); a02 = TOps.MultiplyAdd(b, v2, a02); a03 = TOps.MultiplyAdd(b, v3, a03);
                    b = TOps.Broadcast(p1[c]);
                    a10 = TOps.MultiplyAdd(b, v0, a10); a11 = TOps.MultiplyAdd(b, v1, a11); a12 = TOps.MultiplyAdd(b, v2, a12); a13 = TOps.MultiplyAdd(b, v3, a13);
                    b = TOps.Broadcast(p2[c]);
                    a20 = TOps.MultiplyAdd(b, v0, a20); a21 = TOps.MultiplyAdd(b, v1, a21); a22 = TOps.MultiplyAdd(b, v2, a22); a23 = TOps.MultiplyAdd(b, v3, a23);
                    b = TOps.Broadcast(p3[c]);
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
                float* vc = v + d;
                for (int c = 0; c < keys; c++, vc += paddedDim)
                {
                    TVec x = TOps.Load(vc);
                    a0 = TOps.MultiplyAdd(TOps.Broadcast(p0[c]), x, a0);
                    a1 = TOps.MultiplyAdd(TOps.Broadcast(p1[c]), x, a1);
                    a2 = TOps.MultiplyAdd(TOps.Broadcast(p2[c]), x, a2);
                    a3 = TOps.MultiplyAdd(TOps.Broadcast(p3[c]), x, a3);
                }
                TOps.Store(o0 + d, a0); TOps.Store(o1 + d, a1); TOps.Store(o2 + d, a2); TOps.Store(o3 + d, a3);
            }
        }
    }
}
