namespace RectifiedSpaAttn.Compute;

/// <summary>The checks every backend makes before a launch: arguments against parameters, dimensions against limits.</summary>
internal static class LaunchValidator
{
    public static void Validate(Accelerator accelerator, KernelVariant variant, LaunchDimensions dims, ReadOnlySpan<KernelArgument> arguments)
    {
        ArgumentNullException.ThrowIfNull(variant);
        ValidateArguments(accelerator, variant, arguments);
        ValidateDimensions(accelerator, variant, dims);
    }

    private static void ValidateArguments(Accelerator accelerator, KernelVariant variant, ReadOnlySpan<KernelArgument> arguments)
    {
        IReadOnlyList<KernelParameter> parameters = variant.Parameters;
        if (arguments.Length != parameters.Count)
            throw new ArgumentException(
                $"{variant.DisplayName} takes {parameters.Count} arguments ({string.Join(", ", parameters.Select(Describe))}) but {arguments.Length} were given.",
                nameof(arguments));

        for (int i = 0; i < arguments.Length; i++)
        {
            KernelParameter p = parameters[i];
            KernelArgument a = arguments[i];
            string where = $"Argument {i} ('{p.Name}') of {variant.DisplayName}";
            if (a.Kind != p.Kind)
                throw new ArgumentException($"{where} must be a {Describe(p)} but a {a.Kind.ToString().ToLowerInvariant()} was given.", nameof(arguments));
            if (a.Type != p.Type)
                throw new ArgumentException($"{where} must be a {Describe(p)} but its type is {a.Type}.", nameof(arguments));
            if (a.Kind == KernelParameterKind.Buffer) ValidateBuffer(accelerator, where, a);
            if (a.Kind == KernelParameterKind.TensorMap && (AcceleratorKind)a.Bits != accelerator.Kind)
                throw new ArgumentException($"{where} is a tensor map made for {(AcceleratorKind)a.Bits}; make it with {accelerator.Name}'s accelerator.", nameof(arguments));
        }
    }

    private static void ValidateBuffer(Accelerator accelerator, string where, KernelArgument a)
    {
        if (a.Offset < 0 || a.Length < 0)
            throw new ArgumentException($"{where} has a negative offset ({a.Offset}) or length ({a.Length}).", "arguments");
        if (a.Handle == 0)
        {
            // Empty buffers have no memory behind them; a view of nothing may only be empty.
            if (a.Length != 0)
                throw new ArgumentException($"{where} is a view of {a.Length} elements with no memory behind it (a default ArrayView?).", "arguments");
            return;
        }
        long bytes = accelerator.AllocationBytes(a.Handle);
        if (bytes < 0)
            throw new ArgumentException(
                $"{where} is not a view of a live buffer of accelerator '{accelerator.Name}' ({accelerator.Kind}): the buffer was disposed or belongs to another accelerator.",
                "arguments");
        long elementSize = ScalarTypeInfo.ElementSize(a.Type);
        if ((a.Offset + a.Length) * elementSize > bytes)
            throw new ArgumentException(
                $"{where} covers elements [{a.Offset}, {a.Offset + a.Length}) of {a.Type}, past the end of its {bytes}-byte buffer.",
                "arguments");
    }

    private static void ValidateDimensions(Accelerator accelerator, KernelVariant variant, LaunchDimensions dims)
    {
        if (dims.Grid.X < 1 || dims.Grid.Y < 1 || dims.Grid.Z < 1)
            throw new ArgumentException($"The grid {dims.Grid} of a launch of {variant.DisplayName} must be at least 1 along every axis.", nameof(dims));
        if (dims.Group.X < 1 || dims.Group.Y < 1 || dims.Group.Z < 1)
            throw new ArgumentException($"The group {dims.Group} of a launch of {variant.DisplayName} must be at least 1 along every axis.", nameof(dims));
        if (dims.Group.Size > accelerator.MaxGroupSize)
            throw new ArgumentException(
                $"The group {dims.Group} has {dims.Group.Size} threads, more than the {accelerator.MaxGroupSize} per group '{accelerator.Name}' allows.",
                nameof(dims));
        if (variant.MaxGroupSize > 0 && dims.Group.Size > variant.MaxGroupSize)
            throw new ArgumentException(
                $"The group {dims.Group} has {dims.Group.Size} threads, more than the {variant.MaxGroupSize} {variant.DisplayName} was compiled for (KernelHint.LaunchBounds).",
                nameof(dims));
        if (dims.DynamicSharedMemoryBytes < 0)
            throw new ArgumentException($"Dynamic shared memory cannot be negative ({dims.DynamicSharedMemoryBytes} bytes).", nameof(dims));
        long shared = (long)variant.StaticSharedMemoryBytes + dims.DynamicSharedMemoryBytes;
        if (shared > accelerator.MaxSharedMemoryPerGroup)
            throw new ArgumentException(
                $"{variant.DisplayName} needs {shared} bytes of shared memory per group ({variant.StaticSharedMemoryBytes} static + {dims.DynamicSharedMemoryBytes} dynamic), more than the {accelerator.MaxSharedMemoryPerGroup} '{accelerator.Name}' allows.",
                nameof(dims));
    }

    private static string Describe(KernelParameter p)
        => p.Kind == KernelParameterKind.Buffer ? $"buffer of {p.Type}" : $"{p.Type} scalar";
}
