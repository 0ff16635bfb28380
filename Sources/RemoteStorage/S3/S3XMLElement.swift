/// One element of an S3 XML response (`<ListBucketResult>`, `<Error>`, …): its name, its text and its
/// child elements. Namespaces and attributes are dropped: S3 answers never need them.
package struct S3XMLElement: Sendable, Hashable {
    /// The local name (`Contents`, `Key`), without any namespace prefix.
    package var name: String
    /// The element's own character data, entities decoded (child elements' text excluded).
    package var text: String
    /// The child elements in document order.
    package var children: [S3XMLElement]

    /// The first child named `name`.
    package func child(_ name: String) -> S3XMLElement? { children.first { $0.name == name } }

    /// Every child named `name`.
    package func children(named name: String) -> [S3XMLElement] { children.filter { $0.name == name } }

    /// The text of the first child named `name`.
    package func text(of name: String) -> String? { child(name)?.text }
}
