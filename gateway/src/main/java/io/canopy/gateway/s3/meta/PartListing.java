package io.canopy.gateway.s3.meta;

import java.util.List;

/** One page of ListParts; {@code nextPartNumberMarker} is the last part number listed (0 if none). */
public record PartListing(List<Part> parts, boolean truncated, int nextPartNumberMarker) {}
