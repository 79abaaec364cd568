using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Numerics;

namespace RectifiedSpaAttn.Kernels.Corpus;

/// <summary>
/// Corpus: dense attention O = softmax(Q·Kᵀ · scale)·V on Hopper, FlashAttention-3 style, a first version: Q, K, V
/// and O are [heads][S][D] row-major 16-bit floats, non-causal, S a multiple of 128.
/// <list type="bullet">
/// <item>a group of three warpgroups owns 128 query rows of one head: warpgroup 0 produces, 1 and 2 each consume 64 rows;</item>
/// <item>the producer's elected thread copies the Q tile once, then streams K and V tiles of 128 rows through a 2-stage
/// ring of 128-byte-swizzled shared memory with the bulk tensor copy engine, on full/empty mbarrier pairs;</item>
/// <item>a consumer computes S = Q·Kᵀ (64 x 128, f32) with wgmma from shared memory, the online softmax in registers
/// (row maxima and sums over the quad of lanes that share a row), packs P to 16 bits straight from S's accumulator
/// layout into wgmma's register-A fragments, and accumulates O += P·V with V as a transposed (MN-major) B operand;</item>
/// <item>O is divided by the row sums and stored from the accumulators.</item>
/// </list>
/// Not yet: the overlap of one tile's softmax with the next tile's matrix work (two consumer phases), separate K and V
/// barriers, causal masks, ragged S. Launch: group 384, grid (S / 128, heads), dynamic shared memory
/// <see cref="SharedBytes"/>(d); maps from <see cref="Launch{T}"/>.
/// </summary>
internal static partial class WgmmaAttentionKernels
{
    /// <summary>Query rows per group.</summary>
    public const int TileQ = 128;
    /// <summary>Key/value rows per pipeline stage.</summary>
    public const int TileKv = 128;
    private const int Stages = 2;

    /// <summary>Dynamic shared memory for head dimension <paramref name="d"/>: Q, the K/V ring, then the barriers.</summary>
    public static int SharedBytes(int d) => (TileQ * d + Stages * 2 * TileKv * d) * 2 + (1 + 2 * Stages) * 8;

    /// <summary>The attention kernel; see the class summary. <paramref name="scaleLog2"/> is the softmax scale times log2(e).</summary>
    [Kernel]
    [RequiresHopper]
    [Specialize("T", typeof(Half), typeof(BFloat16))]
    [Specialize("d", 64, 128)]
    public static void Attention<T>(TensorMap q, TensorMap k, TensorMap v, ArrayView<T> o, int s, float scaleLog2, [Constant] int d)
        where T : unmanaged
    {
        KernelHint.LaunchBounds(384, 1);
        ArrayView<T> smem = SharedMemory.GetDynamic<T>();
        ArrayView<ulong> bars = SharedMemory.GetDynamic<ulong>();
        int panels = d / 64;
        int qElements = TileQ * d, kvElements = TileKv * d, stageElements = 2 * kvElements;
        int barrierBase = (qElements + Stages * stageElements) * 2 / 8;
        int qFull = barrierBase, full = barrierBase + 1, empty = barrierBase + 1 + Stages;
        int head = Grid.IdxY, qRow0 = Grid.IdxX * TileQ, kvTiles = s / TileKv;

        if (Group.IdxX == 0)
        {
            Mbarrier.Init(bars, qFull, 1);
            for (int st = 0; st < Stages; st++)
            {
                Mbarrier.Init(bars, full + st, 1);
                Mbarrier.Init(bars, empty + st, 8);
            }
            BulkTensor.FenceProxyAsync();
        }
        Group.Barrier();

        if (Warpgroup.Index == 0)
        {
            Warpgroup.DecreaseRegisters(40);
            if (Warp.WarpIdx == 0)
            {
                bool leader = HopperWarp.ElectOne();
                if (leader)
                {
                    // Q and each K, V tile arrive as d / 64 panels of 64 columns (128-byte rows), panel p after p whole panels.
                    Mbarrier.ArriveExpectTransaction(bars, qFull, qElements * 2);
                    for (int p = 0; p < panels; p++) BulkTensor.Load3D(smem, p * TileQ * 64, q, 64 * p, qRow0, head, bars, qFull);
                    for (int j = 0; j < kvTiles; j++)
                    {
                        int st = j % Stages;
                        Mbarrier.Wait(bars, empty + st, ((j / Stages) & 1) ^ 1);
                        Mbarrier.ArriveExpectTransaction(bars, full + st, stageElements * 2);
                        int kBase = qElements + st * stageElements;
                        for (int p = 0; p < panels; p++)
                        {
                            BulkTensor.Load3D(smem, kBase + p * TileKv * 64, k, 64 * p, j * TileKv, head, bars, full + st);
                            BulkTensor.Load3D(smem, kBase + kvElements + p * TileKv * 64, v, 64 * p, j * TileKv, head, bars, full + st);
                        }
                    }
                }
            }
        }
        else
        {
            Warpgroup.IncreaseRegisters(232);
            int rowInTile = (Warpgroup.Index - 1) * 64;
            Span<float> sAcc = stackalloc float[TileKv / 2];
            Span<float> oAcc = stackalloc float[d / 2];
            for (int i = 0; i < d / 2; i++) oAcc[i] = 0f;
            // This thread's two rows (g and g + 8 of its warp's 16): running maxima (scaled, log2 domain) and partial sums.
            float m0 = float.NegativeInfinity, m1 = float.NegativeInfinity, l0 = 0f, l1 = 0f;
            Mbarrier.Wait(bars, qFull, 0);
            for (int j = 0; j < kvTiles; j++)
            {
                int st = j % Stages;
                Mbarrier.Wait(bars, full + st, (j / Stages) & 1);
                int kBase = qElements + st * stageElements;
                Warpgroup.Fence();
                for (int kk = 0; kk < d / 16; kk++)
                {
                    KernelHint.Unroll();
                    int p = kk / 4, c = (kk % 4) * 16;
                    Warpgroup.MmaAsync(sAcc, smem, p * TileQ * 64 + rowInTile * 64 + c, smem, kBase + p * TileKv * 64 + c, kk > 0);
                }
                Warpgroup.CommitGroup();
                Warpgroup.WaitGroup(0);

                float max0 = float.NegativeInfinity, max1 = float.NegativeInfinity;
                for (int i = 0; i < TileKv / 2; i++)
                {
                    if ((i / 2) % 2 == 0) max0 = MathF.Max(max0, sAcc[i]);
                    else max1 = MathF.Max(max1, sAcc[i]);
                }
                max0 = MathF.Max(max0, Warp.ShuffleXor(max0, 1));
                max0 = MathF.Max(max0, Warp.ShuffleXor(max0, 2));
                max1 = MathF.Max(max1, Warp.ShuffleXor(max1, 1));
                max1 = MathF.Max(max1, Warp.ShuffleXor(max1, 2));
                float new0 = MathF.Max(m0, max0 * scaleLog2), new1 = MathF.Max(m1, max1 * scaleLog2);
                float alpha0 = XMath.Exp2Fast(m0 - new0), alpha1 = XMath.Exp2Fast(m1 - new1);
                m0 = new0;
                m1 = new1;
                l0 *= alpha0;
                l1 *= alpha1;
                for (int i = 0; i < d / 2; i++) oAcc[i] *= (i / 2) % 2 == 0 ? alpha0 : alpha1;
                for (int i = 0; i < TileKv / 2; i++)
                {
                    float e = XMath.Exp2Fast(MathF.FusedMultiplyAdd(sAcc[i], scaleLog2, (i / 2) % 2 == 0 ? -m0 : -m1));
                    sAcc[i] = e;
                    if ((i / 2) % 2 == 0) l0 += e;
                    else l1 += e;
                }

                // S's accumulators 8q..8q+7 are exactly the register-A fragment of P's k block q (16 key rows).
                Warpgroup.Fence();
                for (int qb = 0; qb < TileKv / 16; qb++)
                {
                    KernelHint.Unroll();
                    Warpgroup.MmaAsync(oAcc, PackedPairs.Of<T>(sAcc[8 * qb], sAcc[8 * qb + 1]), PackedPairs.Of<T>(sAcc[8 * qb + 2], sAcc[8 * qb + 3]),
                        PackedPairs.Of<T>(sAcc[8 * qb + 4], sAcc[8 * qb + 5]), PackedPairs.Of<T>(sAcc[8 * qb + 6], sAcc[8 * qb + 7]),
                        smem, kBase + kvElements + qb * 16 * 64, true, TileKv * 128);
                }
                Warpgroup.CommitGroup();
                Warpgroup.WaitGroup(0);
                if (Warp.LaneIdx == 0) Mbarrier.Arrive(bars, empty + st);
            }

            l0 += Warp.ShuffleXor(l0, 1);
            l0 += Warp.ShuffleXor(l0, 2);
            l1 += Warp.ShuffleXor(l1, 1);
            l1 += Warp.ShuffleXor(l1, 2);
            float inv0 = 1f / l0, inv1 = 1f / l1;
            int t = Warpgroup.ThreadIndex;
            long row = (long)head * s + qRow0 + rowInTile + 16 * (t / 32) + (t % 32) / 4;
            int col = 2 * (t % 4);
            for (int i = 0; i < d / 2; i++)
            {
                bool upper = (i / 2) % 2 == 1;
                o[(row + (upper ? 8 : 0)) * d + col + 8 * (i / 4) + i % 2] = Element.FromFloat<T>(oAcc[i] * (upper ? inv1 : inv0));
            }
        }
    }

    /// <summary>
    /// O = softmax(Q·Kᵀ · <paramref name="scale"/>)·V for <paramref name="heads"/> heads of <paramref name="s"/> rows of
    /// <paramref name="d"/> (64 or 128) on <paramref name="accelerator"/> (CUDA compute capability 9.0, or the CPU).
    /// </summary>
    public static void Launch<T>(Accelerator accelerator, ArrayView<T> q, ArrayView<T> k, ArrayView<T> v, ArrayView<T> o, int heads, int s, int d, float scale)
        where T : unmanaged
    {
        if (s % TileQ != 0 || d is not (64 or 128))
            throw new ArgumentException($"The wgmma attention needs S a multiple of {TileQ} and D 64 or 128; got S {s}, D {d}.");
        using TensorMap mq = TensorMap.Create3D(accelerator, q, d, s, heads, d, (long)s * d, 64, TileQ, 1);
        using TensorMap mk = TensorMap.Create3D(accelerator, k, d, s, heads, d, (long)s * d, 64, TileKv, 1);
        using TensorMap mv = TensorMap.Create3D(accelerator, v, d, s, heads, d, (long)s * d, 64, TileKv, 1);
        AttentionKernel.Launch<T>(accelerator, new LaunchDimensions(new Dim3(s / TileQ, heads), new Dim3(384), SharedBytes(d)),
            mq, mk, mv, o, s, scale * 1.4426950408889634f, d);
        accelerator.Synchronize();
    }
}
