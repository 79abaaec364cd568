namespace RectifiedSpaAttn.Kernels.Attention.Flash.Hopper;

/// <summary>
/// The Hopper flash-attention kernel's tuning knobs (<see cref="HopperFlashSteps"/>). None changes the result; each was
/// measured on an H100 80GB HBM3 (bf16, 2026-12-06; docs/benchmarks.md), and <see cref="Default"/> holds the best of
/// those measurements.
/// </summary>
/// <param name="Stages">Depth of the K/V ring, 2 to 4 as shared memory allows (<see cref="HopperFlashKernels.MaxSharedBytes"/>; 4 only at
/// D = 64): a stage's K and V stay until its P·V is done, which with the pipelined consumers is one stage later.
/// Interleaved on the H100, 2 stages ran at 0.77x dense D = 128 and 0.85x block-sparse D = 64.</param>
/// <param name="PingPong">Whether two consumer warpgroups take turns at the tensor cores (on named barriers), so one's
/// softmax runs under the other's products. Interleaved, without it: 0.90x dense D = 128, 0.98x block-sparse 0.10,
/// 1.00x block-sparse D = 64.</param>
/// <param name="DenseConsumers">Consumer warpgroups of a dense group, 64 query rows each: 1 to
/// <see cref="HopperFlashKernels.MaxConsumers"/>; null takes the most (3 at D = 64, 2 at D = 128). Block-sparse groups
/// are one query block, so their count is the block size / 64. At D = 64 two ran at 0.87x of three (interleaved).</param>
/// <param name="Persistent">Whether the grid is one group per multiprocessor, each taking tile after tile (the producer
/// loads the next tile while the consumers store the last), instead of one group per tile. Interleaved, one group per
/// tile ran at 0.93x dense D = 128, 0.94x block-sparse 0.10, 0.96x block-sparse D = 64 and 1.02x dense D = 64 (within
/// the rounds' spread).</param>
/// <param name="Segments">Segments of 64 keys a stage holds, 2 or 3 (S is 64 x 128 or 64 x 192 per consumer); null takes
/// <see cref="SegmentsFor"/>'s choice. More keys a stage spread its fixed costs (barrier waits, turns, quad shuffles,
/// the O rescale) over more products: at D = 64 block-sparse 3 beat 2 by 6% (H100, interleaved); at D = 128 dense 3
/// (which fit only 2 stages of shared memory) ran at 0.72x. Three consumers always take 2 (registers).</param>
internal readonly record struct HopperFlashTuning(int Stages, bool PingPong, int? DenseConsumers, bool Persistent, int? Segments = null)
{
    /// <summary>3 stages, ping-pong on, the most consumers, persistent, segments by head dim.</summary>
    public static HopperFlashTuning Default { get; } = new(3, true, null, true, null);

    /// <summary>The segments a stage holds at head dim <paramref name="headDim"/>: <see cref="Segments"/>, or 3 at D = 64 and 2 at D = 128.</summary>
    public int SegmentsFor(int headDim) => Segments ?? (headDim == 64 ? 3 : 2);

    /// <summary>Throws when a knob is out of range for head dim <paramref name="headDim"/>.</summary>
    public void Validate(int headDim)
    {
        if (Stages < 2 || Stages > 4)
            throw new ArgumentOutOfRangeException(nameof(Stages), Stages, "The Hopper K/V ring has 2 to 4 stages.");
        if (DenseConsumers is { } c && (c < 1 || c > HopperFlashKernels.MaxConsumers(headDim)))
            throw new ArgumentOutOfRangeException(nameof(DenseConsumers), c,
                $"A group has 1 to {HopperFlashKernels.MaxConsumers(headDim)} consumer warpgroups at head dim {headDim}.");
        if (Segments is { } segments && segments != 2 && segments != 3)
            throw new ArgumentOutOfRangeException(nameof(Segments), segments, "A Hopper stage holds 2 or 3 segments of 64 keys.");
        // Every group size the knobs may launch (sparse groups take the query block's consumers) must fit.
        for (int consumers = 1; consumers <= HopperFlashKernels.MaxConsumers(headDim); consumers++)
        {
            int bytes = HopperFlashKernels.SharedBytes(headDim, consumers, Stages, SegmentsFor(headDim), queryBuffers: 1);
            if (bytes > HopperFlashKernels.MaxSharedBytes)
                throw new ArgumentOutOfRangeException(nameof(Stages), Stages,
                    $"At head dim {headDim} a ring of {Stages} stages of {SegmentsFor(headDim)} segments ({bytes / 1024} KiB with Q, "
                    + $"{consumers} consumer{(consumers == 1 ? "" : "s")}) exceeds the {HopperFlashKernels.MaxSharedBytes / 1024} KiB of shared memory a group may take; use fewer stages or segments.");
        }
    }
}
