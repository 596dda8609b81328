//! `aduan demo-data N`: realistic Indonesian cases over three years, driven through the real
//! use cases (so every case has a true timeline) on a simulated clock.

use aduan_app::{ManualClock, StaffUser};
use aduan_domain::intake::{CaseInput, ReporterInput};
use aduan_domain::lifecycle::{Decision, RejectReason};
use aduan_domain::{Action, Channel, Location, Role};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// SplitMix64: small, fast and reproducible; demo data needs no cryptographic randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const BLOCKS: &[&str] = &["A", "B", "C", "D"];
const FIRST_NAMES: &[&str] = &[
    "Siti", "Budi", "Agus", "Dewi", "Rina", "Joko", "Wahyu", "Sri", "Putri", "Andi", "Fitri",
    "Hendra", "Nur", "Yusuf", "Ratna", "Eko", "Indah", "Rudi", "Ayu", "Bambang", "Lestari",
    "Fajar", "Maria", "Yohanes", "Made", "Ketut",
];
const LAST_NAMES: &[&str] = &[
    "Santoso",
    "Wijaya",
    "Lestari",
    "Saputra",
    "Hidayat",
    "Kurniawan",
    "Pratama",
    "Siregar",
    "Nasution",
    "Simanjuntak",
    "Putra",
    "Rahmawati",
    "Setiawan",
    "Gunawan",
    "Harahap",
    "Wibowo",
    "Susanti",
    "Sinaga",
    "Manurung",
    "Suryani",
];
const PLACES: &[(&str, &str, &str)] = &[
    ("DKI Jakarta", "Jakarta Timur", "Cakung"),
    ("DKI Jakarta", "Jakarta Utara", "Cilincing"),
    ("Jawa Barat", "Kabupaten Bekasi", "Cikarang Utara"),
    ("Jawa Barat", "Kota Bandung", "Antapani"),
    ("Jawa Barat", "Kabupaten Bogor", "Cibinong"),
    ("Jawa Tengah", "Kota Semarang", "Tembalang"),
    ("Jawa Timur", "Kota Surabaya", "Rungkut"),
    ("Banten", "Kota Tangerang", "Cipondoh"),
    ("Sumatera Utara", "Kota Medan", "Medan Marelan"),
    ("Sulawesi Selatan", "Kota Makassar", "Tamalanrea"),
    ("Kalimantan Timur", "Kota Balikpapan", "Balikpapan Utara"),
    ("Nusa Tenggara Timur", "Kota Kupang", "Oebobo"),
    ("Aceh", "Kota Banda Aceh", "Syiah Kuala"),
    ("Papua", "Kota Jayapura", "Abepura"),
    ("Bali", "Kabupaten Badung", "Kuta Selatan"),
];

/// Titles and the body of a complaint per category: what people actually write about.
fn topics(category: &str) -> &'static [(&'static str, &'static str)] {
    match category {
        "rusun" => &[
            (
                "Lift rusunawa tidak berfungsi",
                "Lift di blok {blok} rusunawa sudah {n} minggu tidak berfungsi. Warga lansia dan ibu hamil harus naik tangga sampai lantai lima. Pengelola hanya menjawab sedang menunggu suku cadang.",
            ),
            (
                "Kebocoran atap rusun",
                "Atap unit kami di lantai teratas bocor setiap hujan sejak {n} bulan lalu. Plafon mulai rusak dan dinding berjamur. Sudah dilaporkan ke pengelola namun belum ada perbaikan.",
            ),
            (
                "Tarif sewa rusunawa naik tanpa pemberitahuan",
                "Tarif sewa unit rusunawa naik tanpa sosialisasi kepada penghuni. Kami meminta penjelasan dasar kenaikan dan rincian biaya pengelolaan.",
            ),
        ],
        "swadaya" => &[
            (
                "Dana BSPS belum cair",
                "Saya terdaftar sebagai penerima Bantuan Stimulan Perumahan Swadaya tahun ini, tetapi dana belum cair padahal tetangga sudah menerima. Mohon kejelasan status pencairan.",
            ),
            (
                "Material BSPS tidak sesuai",
                "Material bangunan dari toko penyedia BSPS tidak sesuai spesifikasi: semen kurang dan kayu lapuk. Fasilitator tidak menanggapi keluhan warga.",
            ),
            (
                "Pungutan dalam program BSPS",
                "Ada oknum yang meminta uang administrasi kepada penerima BSPS di desa kami sebelum bantuan diberikan. Apakah pungutan ini resmi?",
            ),
        ],
        "rumah_khusus" => &[
            (
                "Rumah khusus korban bencana belum dihuni",
                "Rumah khusus untuk korban banjir di kecamatan kami sudah selesai dibangun {n} bulan lalu tetapi belum diserahkan kepada warga. Warga masih tinggal di tenda pengungsian.",
            ),
            (
                "Air bersih di rumah khusus nelayan",
                "Kompleks rumah khusus nelayan belum memiliki sambungan air bersih. Warga harus membeli air setiap hari dengan harga mahal.",
            ),
        ],
        "rumah_umum_komersial" => &[
            (
                "Pengembang belum serah terima rumah",
                "Saya sudah melunasi uang muka dan akad KPR subsidi FLPP {n} bulan lalu, tetapi pengembang belum menyerahkan kunci. Alasan pengembang selalu berubah.",
            ),
            (
                "Rumah subsidi rusak setelah serah terima",
                "Dinding rumah subsidi retak dan lantai turun hanya {n} bulan setelah serah terima. Pengembang menolak memperbaiki dengan alasan masa garansi habis.",
            ),
            (
                "Sertifikat rumah belum diterima",
                "Sertifikat rumah KPR bersubsidi belum dipecah oleh pengembang sehingga kami tidak bisa mengurus balik nama.",
            ),
        ],
        "sejuta_rumah" => &[
            (
                "Data Program Sejuta Rumah di daerah kami",
                "Kami ingin mengetahui capaian Program Sejuta Rumah di kabupaten kami dan bagaimana masyarakat berpenghasilan rendah dapat mendaftar.",
            ),
            (
                "Lokasi perumahan program tidak layak",
                "Lokasi perumahan yang diklaim sebagai bagian Program Sejuta Rumah berada di daerah rawan banjir dan jauh dari akses jalan.",
            ),
        ],
        "kebijakan" => &[
            (
                "Persyaratan PBG untuk rumah tapak",
                "Mohon penjelasan persyaratan Persetujuan Bangunan Gedung untuk perumahan tapak skala kecil dan berapa lama prosesnya.",
            ),
            (
                "Batas penghasilan MBR",
                "Berapa batas penghasilan masyarakat berpenghasilan rendah yang berlaku tahun ini untuk KPR bersubsidi, dan apa dasar peraturannya?",
            ),
        ],
        "integritas" => &[
            (
                "Oknum meminta imbalan",
                "Seorang oknum yang mengaku pegawai meminta imbalan agar berkas bantuan kami diproses lebih cepat. Kejadian di kantor pada hari kerja.",
            ),
            (
                "Penyalahgunaan wewenang verifikasi",
                "Petugas verifikasi diduga meloloskan penerima bantuan yang masih kerabatnya padahal tidak memenuhi syarat.",
            ),
        ],
        "informasi_umum" => &[
            (
                "Cara mengajukan bantuan perumahan",
                "Bagaimana cara mengajukan bantuan perumahan bagi keluarga kami yang tinggal di rumah tidak layak huni? Ke mana kami harus mendaftar?",
            ),
            (
                "Jam layanan tatap muka",
                "Kapan jam layanan pengaduan tatap muka dan dokumen apa saja yang perlu dibawa?",
            ),
        ],
        _ => &[
            (
                "Saran perbaikan layanan",
                "Kami menyarankan agar informasi program perumahan disampaikan juga melalui kantor kelurahan karena banyak warga tidak mengakses internet.",
            ),
            (
                "Pertanyaan lain",
                "Kami ingin menanyakan hal yang belum tercantum dalam kategori lain terkait perumahan di wilayah kami.",
            ),
        ],
    }
}

/// Where a demo case ends up; weighted so old cases are mostly finished.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    Received,
    Verified,
    Dispositioned,
    InProgress,
    AwaitingApproval,
    Answered,
    Waiting,
    Closed,
    Objected,
    Rejected,
    Forwarded,
}

fn target(rng: &mut Rng, age_days: i64) -> Target {
    let roll = rng.below(100);
    if age_days > 45 {
        // Old cases: nearly all finished, a few stuck (the backlog).
        match roll {
            0..=67 => Target::Closed,
            68..=73 => Target::Objected,
            74..=81 => Target::Rejected,
            82..=88 => Target::Forwarded,
            89..=92 => Target::InProgress,
            93..=95 => Target::Dispositioned,
            96..=97 => Target::Answered,
            _ => Target::Received,
        }
    } else {
        match roll {
            0..=11 => Target::Received,
            12..=19 => Target::Verified,
            20..=31 => Target::Dispositioned,
            32..=49 => Target::InProgress,
            50..=57 => Target::AwaitingApproval,
            58..=69 => Target::Answered,
            70..=75 => Target::Waiting,
            76..=89 => Target::Closed,
            90..=94 => Target::Rejected,
            _ => Target::Forwarded,
        }
    }
}

pub async fn generate(
    database: &str,
    organisation: Option<&Path>,
    count: u64,
    seed: u64,
) -> anyhow::Result<String> {
    let now = OffsetDateTime::now_utc();
    let span = Duration::days(3 * 365);
    let clock = ManualClock::new(now - span);
    let aduan = crate::server::open(database, organisation, Arc::new(clock.clone())).await?;
    let org = aduan.organisation().clone();
    let coordinator_unit = org.agency.coordinator_unit.clone();
    let staff = |role: Role, unit: &str| StaffUser {
        username: format!("demo_{}_{unit}", role.code()),
        role,
        unit: Some(unit.to_string()),
        units: org.subtree(unit),
    };
    let coordinator = staff(Role::Coordinator, &coordinator_unit);
    let mut rng = Rng(seed);
    let mut states: BTreeMap<String, u64> = BTreeMap::new();
    let step = span / i32::try_from(count.max(1)).unwrap_or(i32::MAX);
    for i in 0..count {
        let created = now - span + step * i32::try_from(i).unwrap_or(i32::MAX);
        clock.set(created);
        let category = rng.pick(&org.categories).clone();
        let (title, body) = *rng.pick(topics(&category.code));
        let (province, city, district) = *rng.pick(PLACES);
        let kind = match rng.below(10) {
            0..=6 => "complaint",
            7..=8 => "info_request",
            _ => "aspiration",
        };
        let privacy = if kind == "info_request" {
            "public"
        } else {
            *rng.pick(&["public", "public", "confidential", "anonymous"])
        };
        let channel = *rng.pick(&[
            Channel::Web,
            Channel::Web,
            Channel::Lapor,
            Channel::Email,
            Channel::WalkIn,
            Channel::Phone,
            Channel::Letter,
            Channel::Social,
        ]);
        let name = format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES));
        let block = BLOCKS[rng.below(BLOCKS.len() as u64) as usize];
        let description = body
            .replace("{n}", &(2 + rng.below(10)).to_string())
            .replace("{blok}", block);
        let description = format!(
            "{description} Lokasi: Kecamatan {district}, {city}. Mohon tindak lanjut dari Direktorat Jenderal Perumahan. Terima kasih."
        );
        let input = CaseInput {
            kind: Some(kind.into()),
            category: Some(category.code.clone()),
            title: Some(title.into()),
            description: Some(description),
            event_date: Some((created.date() - Duration::days(rng.below(30) as i64)).to_string()),
            location: Some(Location {
                province: Some(province.into()),
                city: Some(city.into()),
                district: Some(district.into()),
                address: Some(format!(
                    "Jl. {} No. {}",
                    rng.pick(LAST_NAMES),
                    1 + rng.below(200)
                )),
                lat: None,
                lon: None,
            }),
            privacy: Some(privacy.into()),
            language: Some(if rng.chance(95) { "id" } else { "en" }.into()),
            reporter: (privacy != "anonymous").then(|| ReporterInput {
                name: Some(name.clone()),
                phone: Some(format!("08{}", 1_100_000_000 + rng.below(8_000_000_000))),
                email: rng.chance(60).then(|| {
                    format!(
                        "{}{}@contoh.id",
                        name.to_lowercase().replace(' ', "."),
                        rng.below(100)
                    )
                }),
                ..Default::default()
            }),
        };
        let intake = staff(Role::Intake, &coordinator_unit);
        let registrar = matches!(
            channel,
            Channel::WalkIn | Channel::Phone | Channel::Letter | Channel::Social
        )
        .then_some(&intake);
        let created_case = aduan.create_case(&input, channel, registrar, None).await?;
        let ticket = created_case.ticket.to_string();
        let age_days = (now - created).whole_days();
        let goal = target(&mut rng, age_days);
        let lead = category.lead_unit.clone();
        let officer = staff(Role::UnitOfficer, &lead);
        let head = staff(Role::UnitHead, &lead);
        let mut hours = 2 + rng.below(30) as i64;
        let mut act = |who: &StaffUser, action: Action| {
            hours += 4 + rng.below(40) as i64;
            clock.set(created + Duration::hours(hours));
            let aduan = aduan.clone();
            let who = who.clone();
            let ticket = ticket.clone();
            async move { aduan.act(&who, &ticket, action).await }
        };
        let decision = (kind == "info_request").then_some(Decision::Granted);
        let answer = Action::SubmitDraft {
            text: "Terima kasih atas laporan Anda. Unit kami telah berkoordinasi dengan pihak terkait dan menjadwalkan penanganan dalam dua minggu. Perkembangan akan kami sampaikan melalui kanal ini.".into(),
            decision,
            exemption: None,
        };
        match goal {
            Target::Received => {}
            Target::Rejected => {
                act(
                    &coordinator,
                    Action::Reject {
                        reason: RejectReason::OutOfScope,
                        note: None,
                    },
                )
                .await?;
            }
            Target::Forwarded => {
                act(
                    &coordinator,
                    Action::Forward {
                        agency: format!("Pemerintah {city}"),
                        reason: "Kewenangan pemerintah daerah".into(),
                    },
                )
                .await?;
            }
            _ => {
                act(&coordinator, Action::Verify { category: None }).await?;
                if goal != Target::Verified {
                    act(
                        &coordinator,
                        Action::Dispose {
                            lead_unit: lead.clone(),
                            supporting_units: vec![],
                            instruction: "Mohon ditindaklanjuti dan dijawab sesuai ketentuan."
                                .into(),
                            due_date: None,
                        },
                    )
                    .await?;
                }
                if !matches!(goal, Target::Verified | Target::Dispositioned) {
                    act(&officer, Action::Accept {}).await?;
                }
                if goal == Target::Waiting {
                    act(
                        &officer,
                        Action::AskInfo {
                            question: "Mohon lampirkan foto kondisi dan nomor unit/rumah.".into(),
                        },
                    )
                    .await?;
                }
                if matches!(
                    goal,
                    Target::AwaitingApproval | Target::Answered | Target::Closed | Target::Objected
                ) {
                    act(&officer, answer.clone()).await?;
                }
                if matches!(goal, Target::Answered | Target::Closed | Target::Objected) {
                    act(&head, Action::Approve {}).await?;
                    act(&coordinator, Action::Approve {}).await?;
                }
            }
        }
        let (ticket_text, code) = (
            created_case.ticket.to_string(),
            created_case.access_code.display(),
        );
        if goal == Target::Closed {
            clock.set(created + Duration::hours(hours + 48));
            aduan
                .reporter_act(
                    &ticket_text,
                    &code,
                    Action::AcceptAnswer {
                        rating: Some(3 + rng.below(3) as u8),
                    },
                )
                .await?;
        }
        if goal == Target::Objected {
            clock.set(created + Duration::hours(hours + 48));
            aduan
                .reporter_act(
                    &ticket_text,
                    &code,
                    Action::Object {
                        reason: "Belum ada perbaikan di lapangan.".into(),
                        rating: Some(1 + rng.below(2) as u8),
                    },
                )
                .await?;
        }
        let state = aduan.staff_case(&coordinator, &ticket_text).await?.state;
        *states.entry(state).or_default() += 1;
    }
    let spread: Vec<String> = states.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    Ok(format!(
        "{count} demo cases created ({})",
        spread.join(", ")
    ))
}
