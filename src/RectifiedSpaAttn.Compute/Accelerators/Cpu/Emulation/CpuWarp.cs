using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>
/// The exchange area of one emulated warp, through which its lanes perform warp collectives (shuffles,
/// <c>mma.m16n8k16</c>, <c>ldmatrix</c>). For generated code only.
/// </summary>
/// <remarks>
/// A collective is: every lane publishes its operands into the current bank, yields a warp sync, and once all 32
/// lanes have arrived each lane takes its result. Lanes resume one after another, and a lane that has taken its
/// result may run on to the next collective before its neighbours took theirs; that next collective uses the
/// other bank, so one sync per collective suffices (a bank is reused only after a sync on the other bank, which
/// every lane reaches after reading). Each lane flips its bank after every collective; lanes of a warp execute the
/// same sequence of collectives, so their banks agree.
/// Results that depend on more than the published registers (ldmatrix reads shared memory) or that are cheaper
/// computed for the whole warp at once (mma) are computed by the first lane to ask, right after the sync, when no
/// lane has yet moved on, as the hardware does.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CpuWarp
{
    private const int LaneCount = 32;
    private const int WordsPerLane = 10; // mma: A 4, B 2, C 4.
    private const int ResultsPerLane = 4;

    private readonly string _kernelName;
    private readonly uint[] _words = new uint[2 * LaneCount * WordsPerLane];
    private readonly int[] _operands = new int[2 * LaneCount];
    private readonly nint[] _rows = new nint[2 * LaneCount];
    private readonly string?[] _rowErrors = new string?[2 * LaneCount];
    private readonly uint[] _results = new uint[2 * LaneCount * ResultsPerLane];
    private readonly bool[] _computed = new bool[2];

    /// <summary>
    /// Creates the exchange area of a warp with <paramref name="lanes"/> live lanes (fewer than 32 only for a group's
    /// last, partial warp) in a group whose named barriers are <paramref name="namedBarriers"/> and whose registers
    /// (as <c>setmaxnreg</c> moves them) are <paramref name="registers"/>.
    /// </summary>
    public CpuWarp(string kernelName, int lanes, CpuNamedBarriers namedBarriers, CpuRegisterPool registers)
    {
        _kernelName = kernelName;
        Lanes = lanes;
        NamedBarriers = namedBarriers;
        Registers = registers;
    }

    /// <summary>Number of threads in this warp (32 unless the group size is not a multiple of 32).</summary>
    public int Lanes { get; }

    /// <summary>The group's named barriers, shared by all its warps (the warp is what a thread's code holds of its group).</summary>
    public CpuNamedBarriers NamedBarriers { get; }

    /// <summary>The group's register pool, shared by all its warps.</summary>
    public CpuRegisterPool Registers { get; }

    // ------------------------------------------------------------------ shuffles

    /// <summary>Publishes a lane's value (as bits) and its lane operand (source lane, xor mask or delta) for a shuffle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PublishShuffle(int bank, int lane, uint bits, int operand)
    {
        _words[Word(bank, lane, 0)] = bits;
        _operands[bank * LaneCount + lane] = operand;
    }

    /// <summary><c>shfl.sync.idx</c>: the value of lane <c>operand &amp; 31</c>.</summary>
    public uint ShuffleIdx(int bank, int lane) => ValueOf(bank, lane, _operands[bank * LaneCount + lane] & 31);

    /// <summary><c>shfl.sync.bfly</c>: the value of lane <c>lane ^ (operand &amp; 31)</c>.</summary>
    public uint ShuffleXor(int bank, int lane) => ValueOf(bank, lane, lane ^ (_operands[bank * LaneCount + lane] & 31));

    /// <summary><c>shfl.sync.down</c>: the value of lane <c>lane + (operand &amp; 31)</c>, or the own value past lane 31.</summary>
    public uint ShuffleDown(int bank, int lane) => ValueOf(bank, lane, lane + (_operands[bank * LaneCount + lane] & 31));

    /// <summary>The published value of <paramref name="source"/>; the own value when that lane is past the end of the warp.</summary>
    private uint ValueOf(int bank, int lane, int source)
        => _words[Word(bank, source < Lanes ? source : lane, 0)];

    // ------------------------------------------------------------------ mma.m16n8k16

    /// <summary>Publishes a lane's fragments of A (4 registers), B (2) and C (4) for <c>mma.m16n8k16</c>.</summary>
    public void PublishMma(int bank, int lane, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1, float c0, float c1, float c2, float c3)
    {
        RequireFullWarp("mma.sync.m16n8k16");
        int w = Word(bank, lane, 0);
        _words[w] = a0;
        _words[w + 1] = a1;
        _words[w + 2] = a2;
        _words[w + 3] = a3;
        _words[w + 4] = b0;
        _words[w + 5] = b1;
        _words[w + 6] = BitConverter.SingleToUInt32Bits(c0);
        _words[w + 7] = BitConverter.SingleToUInt32Bits(c1);
        _words[w + 8] = BitConverter.SingleToUInt32Bits(c2);
        _words[w + 9] = BitConverter.SingleToUInt32Bits(c3);
        _computed[bank] = false;
    }

    /// <summary>Register <paramref name="index"/> (0-3) of this lane's fragment of D = A·B + C (bf16 or fp16 inputs, f32 accumulation).</summary>
    public float MmaResult(int bank, int lane, bool bfloat16, int index)
    {
        if (!_computed[bank])
        {
            CpuTensorCore.Mma(_words.AsSpan(bank * LaneCount * WordsPerLane, LaneCount * WordsPerLane), WordsPerLane, bfloat16,
                _results.AsSpan(bank * LaneCount * ResultsPerLane, LaneCount * ResultsPerLane));
            _computed[bank] = true;
        }
        return BitConverter.UInt32BitsToSingle(_results[(bank * LaneCount + lane) * ResultsPerLane + index]);
    }

    // ------------------------------------------------------------------ ldmatrix

    /// <summary>
    /// Publishes the address of the 8-element row of 16-bit values this lane gives to <c>ldmatrix</c>. A row outside
    /// its root is reported only if the instruction uses it (x1 uses lanes 0-7, x2 lanes 0-15).
    /// </summary>
    public void PublishRow(int bank, int lane, nint root, long rootBytes, long byteOffset, long rowIndex, string rootName)
    {
        RequireFullWarp("ldmatrix");
        long at = byteOffset + rowIndex * 2;
        int slot = bank * LaneCount + lane;
        if (at < 0 || at > rootBytes - 16)
        {
            _rows[slot] = 0;
            _rowErrors[slot] = $"ldmatrix row of lane {lane} (16 bytes at byte {at}) is outside '{rootName}', which has {rootBytes} bytes.";
        }
        else
        {
            _rows[slot] = root + (nint)at;
            _rowErrors[slot] = (root + (nint)at) % 16 == 0 ? null : $"ldmatrix row of lane {lane} in '{rootName}' at byte {at} is not 16-byte aligned.";
        }
        _computed[bank] = false;
    }

    /// <summary>Register <paramref name="index"/> of this lane's result of <c>ldmatrix.x{matrices}[.trans]</c>.</summary>
    public uint LoadMatrix(int bank, int lane, int matrices, bool transposed, int index)
    {
        if (!_computed[bank])
        {
            for (int row = 0; row < 8 * matrices; row++)
            {
                if (_rowErrors[bank * LaneCount + row] is { } error)
                    throw new IndexOutOfRangeException($"{_kernelName}: {error}");
            }
            CpuTensorCore.LoadMatrix(_rows.AsSpan(bank * LaneCount, LaneCount), matrices, transposed,
                _results.AsSpan(bank * LaneCount * ResultsPerLane, LaneCount * ResultsPerLane));
            _computed[bank] = true;
        }
        return _results[(bank * LaneCount + lane) * ResultsPerLane + index];
    }

    // ------------------------------------------------------------------ four words per lane (wgmma A, stmatrix)

    /// <summary>Publishes four words of a lane (wgmma's register A fragment, stmatrix's registers).</summary>
    public void PublishWords(int bank, int lane, uint w0, uint w1, uint w2, uint w3)
    {
        RequireFullWarp("a warpgroup or stmatrix instruction");
        int w = Word(bank, lane, 0);
        _words[w] = w0;
        _words[w + 1] = w1;
        _words[w + 2] = w2;
        _words[w + 3] = w3;
    }

    /// <summary>Word <paramref name="word"/> (0-3) that lane <paramref name="lane"/> published.</summary>
    public uint Published(int bank, int lane, int word) => _words[Word(bank, lane, word)];

    /// <summary>
    /// <c>stmatrix.m8n8.x4</c> for the row this lane addressed (row <c>lane % 8</c> of matrix <c>lane / 8</c>): its
    /// 8 elements are register <c>lane / 8</c> of lanes <c>4 (lane % 8)</c> to <c>4 (lane % 8) + 3</c>.
    /// </summary>
    public unsafe void StoreMatrixRow(int bank, int lane)
    {
        int slot = bank * LaneCount + lane;
        if (_rowErrors[slot] is { } error) throw new IndexOutOfRangeException($"{_kernelName}: {error.Replace("ldmatrix", "stmatrix")}");
        uint* row = (uint*)_rows[slot];
        int m = lane >> 3, r = lane & 7;
        for (int j = 0; j < 4; j++) row[j] = Published(bank, 4 * r + j, m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Word(int bank, int lane, int word) => (bank * LaneCount + lane) * WordsPerLane + word;

    private void RequireFullWarp(string instruction)
    {
        if (Lanes != LaneCount)
            throw new InvalidOperationException(
                $"{_kernelName}: {instruction} needs all 32 lanes of a warp, but this warp has {Lanes} (the group size is not a multiple of 32).");
    }
}
