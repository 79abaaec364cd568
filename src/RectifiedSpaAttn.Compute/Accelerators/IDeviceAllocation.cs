namespace RectifiedSpaAttn.Compute;

/// <summary>A live allocation an accelerator tracks, so that launches can check buffer arguments and Dispose can free it.</summary>
internal interface IDeviceAllocation
{
    /// <summary>The backend handle (device address, <c>cl_mem</c> or host address).</summary>
    nint Handle { get; }

    /// <summary>Size in bytes.</summary>
    long LengthInBytes { get; }

    /// <summary>Frees the allocation (called for every live buffer when the accelerator is disposed).</summary>
    void Dispose();
}
