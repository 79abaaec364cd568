using System.Globalization;
using System.Runtime.CompilerServices;

namespace RectifiedSpaAttn.Numerics;

/// <summary>
/// Brain floating point (bfloat16): the upper 16 bits of an IEEE 754 single. Conversion from
/// <see cref="float"/> rounds to nearest, ties to even; NaN stays NaN (quiet), infinities and
/// subnormals are kept exactly as the truncated single would represent them.
/// </summary>
[Serializable]
public readonly struct BFloat16 : IEquatable<BFloat16>, IComparable<BFloat16>, IFormattable
{
    private readonly ushort _bits;

    private BFloat16(ushort bits, bool _) => _bits = bits;

    /// <summary>The raw 16-bit pattern.</summary>
    public ushort RawBits => _bits;

    /// <summary>Reinterprets a 16-bit pattern as a bfloat16.</summary>
    public static BFloat16 FromBits(ushort bits) => new(bits, false);

    /// <summary>Positive zero.</summary>
    public static BFloat16 Zero => FromBits(0);
    /// <summary>One.</summary>
    public static BFloat16 One => FromBits(0x3F80);
    /// <summary>Positive infinity.</summary>
    public static BFloat16 PositiveInfinity => FromBits(0x7F80);
    /// <summary>Negative infinity.</summary>
    public static BFloat16 NegativeInfinity => FromBits(0xFF80);
    /// <summary>A quiet NaN.</summary>
    public static BFloat16 NaN => FromBits(0x7FC0);
    /// <summary>Largest finite value (about 3.39e38).</summary>
    public static BFloat16 MaxValue => FromBits(0x7F7F);
    /// <summary>Smallest positive subnormal value (about 9.2e-41).</summary>
    public static BFloat16 Epsilon => FromBits(0x0001);

    /// <summary>True when the value is NaN.</summary>
    public static bool IsNaN(BFloat16 value) => (value._bits & 0x7FFF) > 0x7F80;
    /// <summary>True when the value is positive or negative infinity.</summary>
    public static bool IsInfinity(BFloat16 value) => (value._bits & 0x7FFF) == 0x7F80;
    /// <summary>True when the value is finite (not NaN, not infinite).</summary>
    public static bool IsFinite(BFloat16 value) => (value._bits & 0x7F80) != 0x7F80;

    /// <summary>Rounds a single to the nearest bfloat16 (ties to even).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BFloat16 FromSingle(float value) => FromBits(RoundToBits(BitConverter.SingleToUInt32Bits(value)));

    /// <summary>Rounds the bits of a single to the bits of the nearest bfloat16 (ties to even; NaN kept quiet).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort RoundToBits(uint singleBits)
    {
        if ((singleBits & 0x7FFF_FFFF) > 0x7F80_0000)
            return (ushort)((singleBits >> 16) | 0x0040); // NaN: keep sign and top payload, force quiet bit.
        uint lsb = (singleBits >> 16) & 1;
        return (ushort)((singleBits + 0x7FFF + lsb) >> 16);
    }

    /// <summary>Widens to a single; exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float ToSingle() => BitConverter.UInt32BitsToSingle((uint)_bits << 16);

    /// <summary>Rounds a single to bfloat16.</summary>
    public static explicit operator BFloat16(float value) => FromSingle(value);
    /// <summary>Rounds a double to bfloat16 (through single; double rounding differs from direct rounding only in rare ties).</summary>
    public static explicit operator BFloat16(double value) => FromDouble(value);

    /// <summary>
    /// Rounds a double to the nearest bfloat16 (ties to even) in one rounding step. Going through float first would
    /// round twice and can turn a value just off a bfloat16 halfway point into an exact tie that then rounds the
    /// wrong way; that case is detected and resolved with the double's true position.
    /// </summary>
    public static BFloat16 FromDouble(double value)
    {
        float single = (float)value;
        uint bits = BitConverter.SingleToUInt32Bits(single);
        bool falseTie = (bits & 0xFFFF) == 0x8000 && (double)single != value && !double.IsNaN(value) && float.IsFinite(single);
        if (!falseTie) return FromSingle(single);
        ushort truncated = (ushort)(bits >> 16);
        bool trueValueIsLarger = Math.Abs(value) > Math.Abs((double)single);
        return FromBits(trueValueIsLarger ? (ushort)(truncated + 1) : truncated);
    }
    /// <summary>Widens to single; exact.</summary>
    public static implicit operator float(BFloat16 value) => value.ToSingle();
    /// <summary>Widens to double; exact.</summary>
    public static implicit operator double(BFloat16 value) => value.ToSingle();

    /// <summary>IEEE equality: NaN is unequal to everything, +0 equals -0.</summary>
    public static bool operator ==(BFloat16 a, BFloat16 b) => a.ToSingle() == b.ToSingle();
    /// <summary>IEEE inequality.</summary>
    public static bool operator !=(BFloat16 a, BFloat16 b) => a.ToSingle() != b.ToSingle();
    /// <summary>IEEE less-than.</summary>
    public static bool operator <(BFloat16 a, BFloat16 b) => a.ToSingle() < b.ToSingle();
    /// <summary>IEEE greater-than.</summary>
    public static bool operator >(BFloat16 a, BFloat16 b) => a.ToSingle() > b.ToSingle();

    /// <summary>Value equality in the sense of <see cref="float.Equals(float)"/> (NaN equals NaN).</summary>
    public bool Equals(BFloat16 other) => ToSingle().Equals(other.ToSingle());
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);
    /// <inheritdoc/>
    public override int GetHashCode() => ToSingle().GetHashCode();
    /// <inheritdoc/>
    public int CompareTo(BFloat16 other) => ToSingle().CompareTo(other.ToSingle());
    /// <inheritdoc/>
    public override string ToString() => ToSingle().ToString(CultureInfo.InvariantCulture);
    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToSingle().ToString(format, formatProvider);
}
