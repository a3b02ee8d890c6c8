package io.canopy.gateway.s3.meta;

import java.util.List;
import java.util.Optional;

/** The part now stored, the same-numbered part it replaced, and the CIDs the caller may release. */
public record PutPartResult(Part part, Optional<Part> replaced, List<String> releasableCids) {}
