//! Search indexes: names by token, places by map cell.
//!
//! Both are [`IndexList`]s, so a query costs a page read or two whatever the size of
//! the dataset. Entries are `<kind>:<id>` (`a:` areas, `c:` climbs) so one token
//! list serves both kinds.

use super::LatLng;
use crate::platform::KeyValue;
use crate::store::index::{IndexList, Listing};

/// Tokens shorter than this are not indexed (and not searchable on their own).
pub const MIN_TOKEN: usize = 2;
/// At most this many tokens of a name are indexed.
const MAX_TOKENS: usize = 8;
/// Longest token kept (longer ones are cut), so keys stay short.
const MAX_TOKEN_CHARS: usize = 24;

/// Lowercase, accents folded, split on anything not alphanumeric: "Céüse Sector-2"
/// -> ["ceuse", "sector", "2"] (tokens shorter than [`MIN_TOKEN`] are dropped, except
/// digits, which matter in names like "Sector 2").
pub fn tokens(text: &str) -> Vec<String> {
    // A search folds the name of every candidate it reads: ASCII, most of any
    // name, skips the case tables, and only kept tokens are allocated.
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase());
        } else {
            folded.extend(fold(c));
        }
    }
    let mut out: Vec<String> = Vec::new();
    for t in folded.split(|c: char| !c.is_alphanumeric()) {
        let t = match t.char_indices().nth(MAX_TOKEN_CHARS) {
            Some((cut, _)) => &t[..cut],
            None => t,
        };
        let keep = t.chars().count() >= MIN_TOKEN || t.bytes().all(|b| b.is_ascii_digit());
        if keep && !t.is_empty() && !out.iter().any(|kept| kept == t) {
            out.push(t.to_owned());
        }
        if out.len() == MAX_TOKENS {
            break;
        }
    }
    out
}

/// Lowercases and strips the accents of common Latin letters.
fn fold(c: char) -> impl Iterator<Item = char> {
    let base = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
            'a'
        }
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => 'c',
        'ď' | 'Ď' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ł' | 'Ł' | 'ľ' | 'Ľ' => 'l',
        'ñ' | 'ń' | 'ň' | 'Ñ' | 'Ń' | 'Ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ő' => {
            'o'
        }
        'ř' | 'Ř' => 'r',
        'ś' | 'š' | 'ş' | 'Ś' | 'Š' | 'Ş' => 's',
        'ť' | 'Ť' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ů' | 'ű' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ů' | 'Ű' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => 'z',
        'ß' => 's',
        other => other,
    };
    base.to_lowercase()
}

pub fn entry(kind: char, id: &str) -> String {
    format!("{kind}:{id}")
}

/// The name of the token list of `token`: `n/<token>`.
pub fn token_list_name(token: &str) -> String {
    format!("n/{token}")
}

/// The token list of `token` (`n/<token>`).
pub fn token_list<'a>(kv: &'a dyn KeyValue, token: &str) -> IndexList<'a> {
    IndexList::new(kv, token_list_name(token))
}

/// The entries that make `entry` findable by the words of `name`.
pub fn name_listings(name: &str, entry: &str) -> Vec<Listing> {
    tokens(name)
        .iter()
        .map(|t| Listing::new(token_list_name(t), entry))
        .collect()
}

/// Map cells are [`CELL_DEGREES`] on a side (about 55 km north-south).
pub const CELL_DEGREES: f64 = 0.5;
/// The largest radius `near` queries accept, so a query reads a bounded set of cells.
pub const MAX_RADIUS_KM: f64 = 100.0;

fn cell_of(lat: f64, lng: f64) -> (i32, i32) {
    (
        (lat / CELL_DEGREES).floor() as i32,
        (lng / CELL_DEGREES).floor() as i32,
    )
}

fn cell_list_name(cell: (i32, i32)) -> String {
    format!("ge/{}/{}", cell.0, cell.1)
}

pub fn cell_list<'a>(kv: &'a dyn KeyValue, cell: (i32, i32)) -> IndexList<'a> {
    IndexList::new(kv, cell_list_name(cell))
}

/// The entry that makes `entry` findable near `at`.
pub fn location_listing(at: LatLng, entry: &str) -> Listing {
    Listing::new(cell_list_name(cell_of(at.lat, at.lng)), entry)
}

/// The cells a circle of `radius_km` around `at` touches.
pub fn cells_around(at: LatLng, radius_km: f64) -> Vec<(i32, i32)> {
    let dlat = radius_km / 111.0;
    let cos = at.lat.to_radians().cos().abs().max(0.01);
    let dlng = (radius_km / (111.0 * cos)).min(180.0);
    let (lat0, lng0) = cell_of((at.lat - dlat).max(-90.0), at.lng - dlng);
    let (lat1, lng1) = cell_of((at.lat + dlat).min(90.0), at.lng + dlng);
    let mut cells = Vec::new();
    for la in lat0..=lat1 {
        for ln in lng0..=lng1 {
            // Longitudes wrap at the antimeridian.
            let span = (360.0 / CELL_DEGREES) as i32;
            let wrapped = (ln + span / 2).rem_euclid(span) - span / 2;
            if !cells.contains(&(la, wrapped)) {
                cells.push((la, wrapped));
            }
        }
    }
    cells
}

/// Great-circle distance in kilometres.
pub fn distance_km(a: LatLng, b: LatLng) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dla = la2 - la1;
    let dln = (b.lng - a.lng).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dln / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_names() {
        assert_eq!(tokens("Céüse  Sector-2"), ["ceuse", "sector", "2"]);
        assert_eq!(tokens("The Nose"), ["the", "nose"]);
        assert_eq!(tokens("a b"), Vec::<String>::new());
        assert_eq!(tokens("Smith Rock, SMITH"), ["smith", "rock"]);
        // Cut to 24 characters, whatever their width.
        let long = "é".repeat(30);
        assert_eq!(tokens(&long), ["e".repeat(24)]);
        assert_eq!(tokens(&"ж".repeat(30)), ["ж".repeat(24)]);
        assert_eq!(tokens("1 22 ab ñ"), ["1", "22", "ab"]);
        // At most eight tokens.
        assert_eq!(tokens("aa bb cc dd ee ff gg hh ii").len(), 8);
    }

    #[test]
    fn geometry() {
        let smith = LatLng {
            lat: 44.3672,
            lng: -121.1408,
        };
        let bend = LatLng {
            lat: 44.0582,
            lng: -121.3153,
        };
        let d = distance_km(smith, bend);
        assert!((35.0..40.0).contains(&d), "{d}");
        let cells = cells_around(smith, 50.0);
        assert!(cells.contains(&cell_of(bend.lat, bend.lng)));
        assert!(cells.len() <= 16);
        let antimeridian = cells_around(
            LatLng {
                lat: 0.0,
                lng: 179.9,
            },
            20.0,
        );
        assert!(antimeridian.iter().any(|c| c.1 < 0));
    }
}
