namespace RectifiedSpaAttn.Kernels.CpuNative;

/// <summary>
/// Constants of the vector <c>e^x</c> the softmax uses (<c>Simd512/256/128.Exp</c>). The runtime's float
/// <c>Vector512.Exp</c> widens to double for its last bit of accuracy, which costs more than the fp32 softmax needs;
/// this is the classic single-precision scheme instead: <c>x = n ln2 + r</c> with <c>n = round(x log2 e)</c> and
/// <c>|r| &lt;= ln2 / 2</c>, <c>e^r</c> by its degree-6 Taylor polynomial (truncation below 1.3e-7 relative, about one
/// ulp), and <c>2^n</c> written straight into the exponent field. Inputs are clamped to <c>[-88, 88]</c>; at the low end
/// <c>n = -127</c> gives exponent bits 0, so <c>e^-inf</c> and anything under about <c>e^-87.3</c> come out exactly 0
/// (the softmax only ever evaluates <c>x &lt;= 0</c>, where that flush is harmless).
/// </summary>
internal static class FastExp
{
    /// <summary>Lower clamp: <c>round(-88 log2 e) = -127</c>, the exponent that encodes 0.</summary>
    public const float Low = -88f;
    /// <summary>Upper clamp: keeps <c>n &lt;= 127</c> so the exponent field cannot overflow into the sign.</summary>
    public const float High = 88f;
    /// <summary><c>log2 e</c>.</summary>
    public const float Log2E = 1.44269504088896341f;
    /// <summary>High part of ln 2 (exact in few bits, so <c>n * Ln2High</c> is exact for |n| &lt;= 127).</summary>
    public const float Ln2High = 0.693359375f;
    /// <summary><c>ln 2 - Ln2High</c>.</summary>
    public const float Ln2Low = -2.12194440e-4f;
    /// <summary>1/2!.</summary>
    public const float C2 = 1f / 2;
    /// <summary>1/3!.</summary>
    public const float C3 = 1f / 6;
    /// <summary>1/4!.</summary>
    public const float C4 = 1f / 24;
    /// <summary>1/5!.</summary>
    public const float C5 = 1f / 120;
    /// <summary>1/6!.</summary>
    public const float C6 = 1f / 720;
}
