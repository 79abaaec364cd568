namespace RectifiedSpaAttn.Compute;

/// <summary>Whether a backend can be used, the devices it offers, and why not when it cannot.</summary>
/// <param name="Devices">The devices found (empty when unavailable).</param>
/// <param name="UnavailableReason">Null when available; otherwise a sentence starting with "not available:".</param>
internal sealed record BackendStatus(IReadOnlyList<AcceleratorInfo> Devices, string? UnavailableReason)
{
    public bool IsAvailable => UnavailableReason is null;

    public static BackendStatus Available(IReadOnlyList<AcceleratorInfo> devices) => new(devices, null);

    public static BackendStatus Unavailable(string why) => new([], "not available: " + why);
}
