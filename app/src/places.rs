//! The administrative units of the province, loaded from `data/places-quang-ninh.csv`
//! (source and licence in `data/places-quang-ninh.SOURCE.md`). They are reference data: the
//! same file seeds every database and an in-memory copy serves validation and look-ups.

use crate::db::BeginWrite;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::Db;
use crate::text;
use crate::with_db;

const PLACES_CSV: &str = include_str!("../data/places-quang-ninh.csv");
pub const PROVINCE_CODE: &str = "22";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Place {
    /// Official code: "22" for the province, 3 digits for a former district, 5 for a commune.
    pub code: String,
    pub name: String,
    /// `province`, `legacy_district`, `ward` (phường), `commune` (xã) or `special_zone` (đặc khu).
    pub kind: String,
    /// Vietnamese unit type as written: tỉnh, phường, xã, đặc khu, thành phố, huyện, thị xã.
    pub unit_type: String,
    pub parent_code: Option<String>,
    /// Former district-level unit, kept as a reporting grouping after the 2025 reform.
    pub legacy_district_code: Option<String>,
}

impl Place {
    /// "phường Hồng Gai", "đặc khu Vân Đồn".
    pub fn full_name(&self) -> String {
        format!("{} {}", self.unit_type, self.name)
    }

    /// Current commune-level unit (where markets and merchants are located).
    pub fn is_commune_level(&self) -> bool {
        matches!(self.kind.as_str(), "ward" | "commune" | "special_zone")
    }
}

#[derive(Debug, Clone)]
pub struct Places {
    by_code: BTreeMap<String, Place>,
}

impl Places {
    pub fn load() -> anyhow::Result<Places> {
        let mut rdr = csv::Reader::from_reader(PLACES_CSV.as_bytes());
        let mut by_code = BTreeMap::new();
        for row in rdr.deserialize() {
            let p: CsvPlace = row?;
            let place = Place {
                code: p.code.clone(),
                name: text::clean(&p.name),
                kind: p.kind,
                unit_type: p.unit_type,
                parent_code: non_empty(p.parent_code),
                legacy_district_code: non_empty(p.legacy_district_code),
            };
            anyhow::ensure!(
                by_code.insert(p.code.clone(), place).is_none(),
                "duplicate {}",
                p.code
            );
        }
        Ok(Places { by_code })
    }

    pub fn get(&self, code: &str) -> Option<&Place> {
        self.by_code.get(code)
    }

    pub fn all(&self) -> impl Iterator<Item = &Place> {
        self.by_code.values()
    }

    pub fn communes(&self) -> impl Iterator<Item = &Place> {
        self.all().filter(|p| p.is_commune_level())
    }

    pub fn legacy_districts(&self) -> impl Iterator<Item = &Place> {
        self.all().filter(|p| p.kind == "legacy_district")
    }

    /// Finds a commune-level unit by code, or by name ignoring diacritics and the unit type
    /// ("Phường Hồng Gai", "hong gai"): CSV files written by people use names.
    pub fn resolve_commune(&self, key: &str) -> Option<&Place> {
        let key = key.trim();
        if let Some(p) = self.get(key).or_else(|| self.get(&format!("{key:0>5}"))) {
            return p.is_commune_level().then_some(p);
        }
        let folded = text::fold(key);
        self.communes()
            .find(|p| text::fold(&p.name) == folded || text::fold(&p.full_name()) == folded)
    }

    /// Writes the reference data into the database (idempotent upsert).
    pub async fn seed(&self, db: &Db) -> anyhow::Result<()> {
        // Parents first, so that the foreign keys hold at every row.
        let mut ordered: Vec<&Place> = self.all().collect();
        ordered.sort_by_key(|p| {
            (
                p.kind != "province",
                p.kind != "legacy_district",
                p.code.clone(),
            )
        });
        with_db!(db, pool => {
            let mut tx = pool.begin_write().await?;
            for p in &ordered {
                sqlx::query(
                    "INSERT INTO places (code, name, kind, unit_type, parent_code, \
                     legacy_district_code, search_text) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
                     unit_type = excluded.unit_type, parent_code = excluded.parent_code, \
                     legacy_district_code = excluded.legacy_district_code, \
                     search_text = excluded.search_text",
                )
                .bind(&p.code)
                .bind(&p.name)
                .bind(&p.kind)
                .bind(&p.unit_type)
                .bind(&p.parent_code)
                .bind(&p.legacy_district_code)
                .bind(text::fold(&p.full_name()))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

#[derive(Deserialize)]
struct CsvPlace {
    code: String,
    name: String,
    kind: String,
    parent_code: String,
    legacy_district_code: String,
    unit_type: String,
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_file_has_the_2025_units() {
        let places = Places::load().unwrap();
        assert_eq!(places.communes().count(), 54);
        assert_eq!(places.communes().filter(|p| p.kind == "ward").count(), 30);
        assert_eq!(
            places.communes().filter(|p| p.kind == "commune").count(),
            22
        );
        assert_eq!(
            places
                .communes()
                .filter(|p| p.kind == "special_zone")
                .count(),
            2
        );
        assert_eq!(places.legacy_districts().count(), 13);
        // Every commune groups under an existing former district.
        for p in places.communes() {
            let d = p.legacy_district_code.as_deref().unwrap();
            assert_eq!(places.get(d).unwrap().kind, "legacy_district", "{}", p.code);
        }
        // Every former district has at least one commune.
        for d in places.legacy_districts() {
            assert!(
                places
                    .communes()
                    .any(|p| p.legacy_district_code.as_deref() == Some(&d.code))
            );
        }
    }

    #[test]
    fn resolves_by_code_or_name() {
        let places = Places::load().unwrap();
        assert_eq!(places.resolve_commune("06685").unwrap().name, "Hồng Gai");
        assert_eq!(places.resolve_commune("6685").unwrap().name, "Hồng Gai");
        assert_eq!(
            places.resolve_commune("phuong hong gai").unwrap().code,
            "06685"
        );
        assert_eq!(
            places.resolve_commune("Đặc khu Cô Tô").unwrap().code,
            "07192"
        );
        assert!(
            places.resolve_commune("193").is_none(),
            "a former district is not a commune"
        );
        assert!(places.resolve_commune("Atlantis").is_none());
    }
}
