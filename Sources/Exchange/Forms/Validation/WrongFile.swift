/// Files people send by mistake instead of the JSON form (issue 24): recognised by their
/// first bytes, and named in words a practitioner understands rather than as a JSON syntax
/// error. Nothing of the content is read beyond the signature, and nothing is echoed.
enum WrongFile {
    /// What the file is.
    enum Kind: Equatable {
        case empty
        /// A ZIP archive with a `word/` part: a Word document (.docx).
        case wordDocument
        /// Another ZIP archive (an Excel .xlsx, a zipped folder).
        case zip
        /// An OLE2 compound file: an older Word or Excel document (.doc, .xls).
        case oldOfficeDocument
        case pdf
    }

    /// The kind of `bytes`, when they are one of the files above.
    static func kind(of bytes: [UInt8]) -> Kind? {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) { return .empty }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            // A .docx names its parts `word/...` in the local file headers near the start.
            let head = bytes.prefix(64 << 10)
            let word = Array("word/".utf8)
            let found = head.indices.contains { i in head[i...].starts(with: word) }
            return found ? .wordDocument : .zip
        }
        if bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return .oldOfficeDocument }
        if bytes.starts(with: Array("%PDF-".utf8)) { return .pdf }
        return nil
    }

    /// The report's words for `kind`.
    static func message(_ kind: Kind) -> String {
        let what: String
        switch kind {
        case .empty: what = "the file is empty"
        case .wordDocument: what = "this is a Word document"
        case .zip: what = "this is a ZIP archive (an Excel workbook is one)"
        case .oldOfficeDocument: what = "this is a Word or Excel document"
        case .pdf: what = "this is a PDF"
        }
        return what + "; send the JSON form instead: its schema is in schemas/ in your outbox (docs/forms.md)"
    }
}
