namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>
/// The warp-wide tensor-core instructions computed for all 32 lanes at once, with the fragment layouts of the PTX
/// ISA ("Matrix Fragments for mma.m16n8k16 with floating point type" and "ldmatrix"). Lane <c>l</c> has
/// <c>groupID = l &gt;&gt; 2</c> and <c>threadID_in_group = l % 4</c>; a 32-bit register holds two 16-bit
/// elements, the lower-indexed one in bits 0-15.
/// </summary>
internal static unsafe class CpuTensorCore
{
    /// <summary>
    /// <c>mma.sync.aligned.m16n8k16.row.col.f32.{bf16|f16}.{bf16|f16}.f32</c>. <paramref name="words"/> holds each
    /// lane's A0-A3, B0-B1 and the bits of C0-C3, <paramref name="stride"/> words per lane; <paramref name="results"/>
    /// receives the bits of each lane's D0-D3 (4 per lane).
    /// </summary>
    /// <remarks>
    /// A (16x16, row-major fragments): register r of lane l holds row <c>groupID + 8*(r &amp; 1)</c>, columns
    /// <c>2*threadID_in_group + 8*(r &gt;&gt; 1)</c> and the next. B (16x8, column fragments): register r holds rows
    /// <c>2*threadID_in_group + 8*r</c> and the next, column <c>groupID</c>. C and D (16x8): element i is row
    /// <c>groupID + 8*(i &gt;&gt; 1)</c>, column <c>2*threadID_in_group + (i &amp; 1)</c>.
    /// Products of bf16 or fp16 values are exact in f32; they are summed in f32 in ascending k, then C is added,
    /// a fixed order (the hardware's internal order and precision are not specified).
    /// </remarks>
    public static void Mma(ReadOnlySpan<uint> words, int stride, bool bfloat16, Span<uint> results)
    {
        Span<float> a = stackalloc float[16 * 16];
        Span<float> b = stackalloc float[16 * 8];
        for (int lane = 0; lane < 32; lane++)
        {
            int g = lane >> 2, t = lane & 3, w = lane * stride;
            for (int r = 0; r < 4; r++)
            {
                int row = g + 8 * (r & 1), col = 2 * t + 8 * (r >> 1);
                a[row * 16 + col] = Low(words[w + r], bfloat16);
                a[row * 16 + col + 1] = High(words[w + r], bfloat16);
            }
            for (int r = 0; r < 2; r++)
            {
                int k = 2 * t + 8 * r;
                b[k * 8 + g] = Low(words[w + 4 + r], bfloat16);
                b[(k + 1) * 8 + g] = High(words[w + 4 + r], bfloat16);
            }
        }
        for (int lane = 0; lane < 32; lane++)
        {
            int g = lane >> 2, t = lane & 3, w = lane * stride;
            for (int i = 0; i < 4; i++)
            {
                int row = g + 8 * (i >> 1), col = 2 * t + (i & 1);
                float sum = a[row * 16] * b[col];
                for (int k = 1; k < 16; k++) sum += a[row * 16 + k] * b[k * 8 + col];
                float c = BitConverter.UInt32BitsToSingle(words[w + 6 + i]);
                results[lane * 4 + i] = BitConverter.SingleToUInt32Bits(sum + c);
            }
        }
    }

    /// <summary>
    /// <c>ldmatrix.sync.aligned.m8n8.x{1,2,4}[.trans].shared.b16</c>. <paramref name="rows"/> holds each lane's row
    /// address (row <c>r</c> of matrix <c>m</c> comes from lane <c>8m + r</c>; all used rows are valid);
    /// <paramref name="results"/> receives register m of lane l at <c>4l + m</c>. Without .trans lane l gets row
    /// <c>l / 4</c>, elements <c>2*(l % 4)</c> and the next; with .trans the matrix is read transposed: lane l gets
    /// column <c>l / 4</c> of rows <c>2*(l % 4)</c> and the next.
    /// </summary>
    public static void LoadMatrix(ReadOnlySpan<nint> rows, int matrices, bool transposed, Span<uint> results)
    {
        for (int lane = 0; lane < 32; lane++)
        {
            int quad = lane >> 2, pair = 2 * (lane & 3);
            for (int m = 0; m < matrices; m++)
            {
                ushort lo, hi;
                if (!transposed)
                {
                    ushort* row = (ushort*)rows[8 * m + quad];
                    lo = row[pair];
                    hi = row[pair + 1];
                }
                else
                {
                    lo = ((ushort*)rows[8 * m + pair])[quad];
                    hi = ((ushort*)rows[8 * m + pair + 1])[quad];
                }
                results[lane * 4 + m] = lo | ((uint)hi << 16);
            }
        }
    }

    private static float Low(uint packed, bool bfloat16)
        => bfloat16 ? BitConverter.UInt32BitsToSingle(packed << 16) : (float)BitConverter.UInt16BitsToHalf((ushort)packed);

    private static float High(uint packed, bool bfloat16)
        => bfloat16 ? BitConverter.UInt32BitsToSingle(packed & 0xFFFF_0000u) : (float)BitConverter.UInt16BitsToHalf((ushort)(packed >> 16));
}
