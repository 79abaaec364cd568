namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>
/// Thrown by the CPU backend when threads of a group cannot all proceed: some wait at a group barrier or warp
/// collective that others never reach (they returned, or wait at a different one). On a GPU the same kernel
/// would hang or compute garbage.
/// </summary>
public sealed class CpuDivergenceException : InvalidOperationException
{
    /// <summary>Creates the exception with its message.</summary>
    public CpuDivergenceException(string message) : base(message) { }
}
