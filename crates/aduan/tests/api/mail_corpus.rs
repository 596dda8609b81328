//! Mail that must not become a case, and mail in odd shapes that must: one corpus for the SMTP
//! listener's tests and the IMAP fetcher's.

pub const OUR_ADDRESS: &str = "pengaduan@perumahan.go.id";
pub const LONG: &str = "Rumah bantuan kami bocor dan retak sejak diserahterimakan tahun lalu.";

/// A raw message, as a hostile or broken sender might write it.
pub fn raw(headers: &str, body: &str) -> Vec<u8> {
    format!("{headers}\r\n\r\n{body}").into_bytes()
}

/// Each mail with a name and the reason the quarantine must give.
pub fn quarantine_corpus() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let long = LONG;
    vec![
        (
            "out of office",
            raw(
                "From: pak.budi@contoh.id\r\nSubject: Sedang cuti\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <a1@x>",
                long,
            ),
            "automatic",
        ),
        (
            "mailing list",
            raw(
                "From: berita@contoh.id\r\nSubject: Buletin\r\nPrecedence: bulk\r\nMessage-ID: <a2@x>",
                long,
            ),
            "automatic",
        ),
        (
            "bounce",
            raw(
                "From: MAILER-DAEMON@mx.contoh.id\r\nSubject: Undelivered\r\nMessage-ID: <a3@x>",
                long,
            ),
            "bounce",
        ),
        (
            "our own",
            raw(
                &format!(
                    "From: {OUR_ADDRESS}\r\nSubject: [ADU-2026-000001] Laporan\r\nMessage-ID: <a4@x>"
                ),
                long,
            ),
            "own_address",
        ),
        (
            "no sender",
            raw("Subject: tanpa pengirim\r\nMessage-ID: <a5@x>", long),
            "no_sender",
        ),
        ("empty", Vec::new(), "unreadable"),
        (
            "binary noise",
            vec![0xff, 0x00, 0xfe, 0x13, 0x37, 0x00, 0x0a],
            "unreadable",
        ),
        (
            "too short",
            raw(
                "From: x@contoh.id\r\nSubject: Hi\r\nMessage-ID: <a6@x>",
                "?",
            ),
            "invalid",
        ),
        (
            "bad address",
            raw(
                "From: \"Warga\" <bukan-alamat>\r\nSubject: Laporan rumah\r\nMessage-ID: <a7@x>",
                long,
            ),
            "invalid",
        ),
    ]
}

/// A mail in ISO-8859-1, subject and body: a case titled "Rumah rétak".
pub fn latin1_mail() -> Vec<u8> {
    b"From: ani@contoh.id\r\nSubject: =?ISO-8859-1?Q?Rumah_r=E9tak?=\r\nMessage-ID: <c1@x>\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n\r\nDinding rumah r\xe9tak dan atap bocor sejak dua bulan lalu, mohon dicek.".to_vec()
}

/// A mail with a zip (a possible bomb): the case is made, the zip refused and noted.
pub fn zip_mail() -> Vec<u8> {
    let long = LONG;
    raw(
        "From: dodi@contoh.id\r\nSubject: Lampiran data\r\nMessage-ID: <c2@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b",
        &format!(
            "--b\r\nContent-Type: text/plain\r\n\r\n{long}\r\n--b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=data.zip\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBBQAAAAIAAAAIQA=\r\n--b--\r\n"
        ),
    )
}
