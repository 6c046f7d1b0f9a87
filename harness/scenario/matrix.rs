//! The configuration matrix of a scenario: one run per compression and repeat.

use super::schema::{Compression, Scenario};

/// One run of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    /// Unique within the scenario and usable in file names: `auto_glz`, or
    /// `auto_glz-r2` when the scenario repeats.
    pub name: String,
    /// The compression measured.
    pub compression: Compression,
    /// Which repeat this is, 1-based like the `-rN` suffix of `name`.
    pub repeat_index: u32,
    /// Seed of the run's input plan (see [`Scenario::input_plan_with_seed`]).
    pub seed: u64,
}

impl Scenario {
    /// Every run, compression-major: each compression, then each repeat.
    ///
    /// `compression_override` replaces the file's list (e.g. from a command-line flag);
    /// vet it with [`super::Target::check_compression`] first, since this cannot fail.
    /// Every run replays the scenario's seed, so runs differ only in what is measured,
    /// never in the input.
    pub fn configurations(
        &self,
        compression_override: Option<&[Compression]>,
    ) -> Vec<Configuration> {
        let list = compression_override.unwrap_or_else(|| self.target.compression());
        let repeat = self.repeat.max(1);
        list.iter()
            .flat_map(|&compression| {
                (1..=repeat).map(move |repeat_index| Configuration {
                    name: if repeat == 1 {
                        compression.as_str().to_owned()
                    } else {
                        format!("{compression}-r{repeat_index}")
                    },
                    compression,
                    repeat_index,
                    seed: self.seed,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(extra: &str) -> Scenario {
        let text = format!(
            "name = \"m\"\nseed = 9\n{extra}\n[target]\nkind = \"xspice\"\ncompression = [\"off\", \"glz\"]\n\
             [[steps]]\nkind = \"pause\"\nduration_s = 1\n"
        );
        Scenario::parse(&text, Path::new("m.toml")).unwrap()
    }

    #[test]
    fn single_repeat_uses_bare_compression_names() {
        let c = scenario("").configurations(None);
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["off", "glz"]);
        assert_eq!(c[1].compression, Compression::Glz);
        assert_eq!(c[1].repeat_index, 1);
        assert!(c.iter().all(|c| c.seed == 9));
    }

    #[test]
    fn repeats_are_numbered_from_one_inside_each_compression() {
        let c = scenario("repeat = 2").configurations(None);
        let got: Vec<(&str, Compression, u32)> = c
            .iter()
            .map(|c| (c.name.as_str(), c.compression, c.repeat_index))
            .collect();
        assert_eq!(
            got,
            [
                ("off-r1", Compression::Off, 1),
                ("off-r2", Compression::Off, 2),
                ("glz-r1", Compression::Glz, 1),
                ("glz-r2", Compression::Glz, 2),
            ]
        );
    }

    #[test]
    fn override_replaces_the_file_list() {
        let c = scenario("").configurations(Some(&[Compression::Quic]));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].name, "quic");
        assert!(scenario("").configurations(Some(&[])).is_empty());
    }
}
