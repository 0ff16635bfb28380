/// The behaviour every catalog implementation must show; filled in by the catalog protocol split.
public enum CatalogConformance {}
