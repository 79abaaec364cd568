using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels.Attention.Flash.TensorCore;

namespace RectifiedSpaAttn.Kernels.Attention.Flash.Hopper;

// The producer's side of HopperFlashKernels: where a tile lies, the key cursor over its keys cut into stages of two
// segments, and the note each stage leaves the consumers.
internal static partial class HopperFlashKernels
{
    /// <summary>
    /// Tile <paramref name="tile"/>'s place. Tiles run along the query rows of one (b, h), then the next (b, h), so the
    /// groups at work share K and V in L2. Dense: tile x covers rows <c>queryStart + x * tileRows</c> onwards; sparse:
    /// tile x is query block x (<paramref name="rowBlock"/> indexes its list, R and C).
    /// </summary>
    private static void PlaceTile(int tile, int tilesPerHead, int tileRows, bool isSparse, int queryStart, int queryBlocks,
        ref int bh, ref int tileStart, ref int rowBlock)
    {
        bh = tile / tilesPerHead;
        int x = tile - bh * tilesPerHead;
        tileStart = isSparse ? x * tileRows : queryStart + x * tileRows;
        rowBlock = isSparse ? bh * queryBlocks + x : 0;
    }

    /// <summary>
    /// The start of a tile's key cursor (<see cref="TensorCoreFlashKernels.SeekKeys"/>): dense starts in the text phase
    /// with the keys <c>[0, validKeys)</c> (a tile of invalid text rows has nothing to attend); sparse with the query
    /// block's listed key blocks, then the valid text keys.
    /// </summary>
    private static void StartCursor(bool isSparse, int tileStart, int rowBlock, int visualTokens, int validKeys, int keyBlocks,
        int keyBlockSize, ArrayView<int> counts, ArrayView<int> lists, ref int count, ref long listBase, ref int entry,
        ref int phase, ref int pos, ref int rangeEnd)
    {
        count = isSparse ? Math.Min(Math.Max(counts[rowBlock], 0), keyBlocks) : 0;
        listBase = (long)rowBlock * keyBlocks;
        entry = 0;
        phase = isSparse ? 0 : 1;
        pos = 0;
        rangeEnd = isSparse || tileStart >= validKeys ? 0 : validKeys;
        TensorCoreFlashKernels.SeekKeys(lists, listBase, count, keyBlocks, keyBlockSize, visualTokens, validKeys,
            ref entry, ref phase, ref pos, ref rangeEnd);
    }

    /// <summary>
    /// Takes the next stage's keys from the cursor: segment 0 is <c>[starts[0], starts[0] + lengths[0])</c>, at most
    /// <see cref="SegmentRows"/> keys of the current range; each further segment of the <paramref name="segments"/> the
    /// next segment when the cursor has one, else a copy of segment 0 with length 0 (copied, so its part of the stage
    /// holds finite values, and masked).
    /// </summary>
    private static void NextStage(ArrayView<int> lists, long listBase, int count, int keyBlocks, int keyBlockSize, int visualTokens,
        int validKeys, ref int entry, ref int phase, ref int pos, ref int rangeEnd, Span<int> starts, Span<int> lengths, int segments)
    {
        starts[0] = pos;
        lengths[0] = Math.Min(SegmentRows, rangeEnd - pos);
        pos += SegmentRows;
        TensorCoreFlashKernels.SeekKeys(lists, listBase, count, keyBlocks, keyBlockSize, visualTokens, validKeys, ref entry, ref phase, ref pos, ref rangeEnd);
        for (int sg = 1; sg < segments; sg++)
        {
            starts[sg] = starts[0];
            lengths[sg] = 0;
            if (pos < rangeEnd)
            {
                starts[sg] = pos;
                lengths[sg] = Math.Min(SegmentRows, rangeEnd - pos);
                pos += SegmentRows;
                TensorCoreFlashKernels.SeekKeys(lists, listBase, count, keyBlocks, keyBlockSize, visualTokens, validKeys, ref entry, ref phase, ref pos, ref rangeEnd);
            }
        }
    }

    /// <summary>
    /// What the consumers need of a stage, packed in one int: the keys of segment s (bits 8s to 8s + 7, at most
    /// <see cref="SegmentRows"/>), and whether it is the tile's last stage (bit 24).
    /// </summary>
    private static int StageInfo(Span<int> lengths, int segments, bool last)
    {
        int info = last ? 1 << 24 : 0;
        for (int sg = 0; sg < segments; sg++) info |= lengths[sg] << (8 * sg);
        return info;
    }

    /// <summary>The keys of segment <paramref name="segment"/> of a <see cref="StageInfo"/>.</summary>
    private static int SegmentLength(int stage, int segment) => (stage >> (8 * segment)) & 0xFF;

    /// <summary>
    /// The next place in the ring of <paramref name="stages"/> stages: stage <paramref name="stage"/> + 1, or stage 0 with
    /// the barriers' <paramref name="phase"/> parity flipped after the last (producer and consumers count alike).
    /// </summary>
    private static void NextInRing(ref int stage, ref int phase, int stages)
    {
        // Selects, not a branch: the consumers count inside the loop whose body must not branch around a wait.
        int wrap = stage + 1 == stages ? 1 : 0;
        stage = stage + 1 - wrap * stages;
        phase ^= wrap;
    }

    /// <summary>Whether a <see cref="StageInfo"/> is the tile's last stage.</summary>
    private static bool IsLastStage(int stage) => (stage >> 24) != 0;
}
