namespace RectifiedSpaAttn.Compute.Cpu;

/// <summary>A CPU stream: launches run to completion when made, so there is nothing to wait for.</summary>
internal sealed class CpuStream(CpuAccelerator accelerator, bool isDefault) : AcceleratorStream(accelerator, isDefault)
{
    private protected override void SynchronizeCore() { }

    private protected override bool IsCompleteCore() => true;

    private protected override StreamMarker RecordMarkerCore() => StreamMarker.Passed();

    private protected override void DisposeCore() { }
}
