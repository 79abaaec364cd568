namespace RectifiedSpaAttn.Compute.Cpu;

/// <summary>A CPU stream: launches run to completion when made, so there is nothing to wait for.</summary>
internal sealed class CpuStream(CpuAccelerator accelerator, bool isDefault) : AcceleratorStream(accelerator, isDefault)
{
    private protected override void SynchronizeCore() { }

    private protected override void DisposeCore() { }
}
