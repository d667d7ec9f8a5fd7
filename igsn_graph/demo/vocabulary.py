"""What the demo generator draws from: per agent a profile (geology, marine, biology) of field campaigns, each a
feature and generations of samples below it with their types, materials and methods (code-list terms), the
regions they lie in and their depot; and the names of fictional people."""

from __future__ import annotations

from dataclasses import dataclass

from ..codelists import codelist

__all__ = ["BIO", "FIRST_NAMES", "GEO", "LAST_NAMES", "PROFILES", "SEA", "Level", "Plan", "Profile", "term_iri"]


def term_iri(name: str, notation: str) -> str:
    """The canonical IRI of a code-list notation; fails loudly if the code list lost the term."""
    return codelist(name).by_notation[notation].iri


@dataclass(frozen=True)
class Level:
    """One generation of samples below a feature (e.g. cores, then sections, then halves)."""

    sample_type: str
    material: str
    methods: tuple[str, ...]
    label: str
    suffix: str
    fanout: tuple[int, int]


@dataclass(frozen=True)
class Plan:
    """How one kind of field campaign produces a feature and its sample tree."""

    feature_type: str
    feature_label: str
    feature_code: str
    polygon: bool
    levels: tuple[Level, ...]
    words: tuple[str, ...]
    #: a sample made from two samples of level ``composite_of`` (two parents), or None
    composite: Level | None = None
    composite_of: int = 0


@dataclass(frozen=True)
class Profile:
    plans: tuple[Plan, ...]
    regions: tuple[tuple[str, float, float, float, float], ...]  # name, lon0, lon1, lat0, lat1
    depot: str


GEO = Profile(
    plans=(
        Plan(
            "borehole",
            "diamond drill hole",
            "DDH",
            False,
            (
                Level("core", "rock", ("Corer:Drill",), "drill core", "C", (1, 2)),
                Level("coreSection", "rock", ("Corer:Drill",), "core section", "S", (2, 4)),
                Level("coreSectionHalf", "rock", ("Corer:Drill",), "archive half", "H", (1, 2)),
                Level("rockPowder", "rock", ("Corer:Drill",), "pulverised split", "P", (0, 2)),
            ),
            (
                "basalt",
                "granite",
                "sandstone",
                "banded iron formation",
                "shale",
                "dolerite",
                "gneiss",
                "chert",
                "komatiite",
                "quartz vein",
                "pyrite-bearing",
                "mafic",
            ),
            Level("rockPowder", "rock", ("Corer:Drill",), "composite powder", "X", (1, 1)),
            2,
        ),
        Plan(
            "site",
            "outcrop",
            "OC",
            False,
            (
                Level("individualSample", "rock", ("Hand:Hammer", "Hand"), "hand specimen", "R", (2, 4)),
                Level("thinSection", "rock", ("Hand:Hammer",), "thin section", "T", (0, 2)),
            ),
            (
                "granite",
                "rhyolite",
                "greywacke",
                "marble",
                "garnet schist",
                "peridotite",
                "zircon-bearing",
                "olivine",
                "plagioclase",
                "limestone",
                "ultramafic",
            ),
        ),
        Plan(
            "fieldArea",
            "mapping area",
            "FA",
            True,
            (
                Level("grab", "sediment", ("Scoop", "Grab"), "stream sediment", "G", (2, 4)),
                Level("individualSample", "mineral", ("Other",), "heavy mineral concentrate", "M", (0, 1)),
            ),
            ("stream sediment", "alluvial", "gold-bearing", "cassiterite", "magnetite", "laterite"),
            Level("other", "sediment", ("Other",), "composite sediment", "X", (1, 1)),
            0,
        ),
    ),
    regions=(
        ("Pilbara Craton, Western Australia", 116.0, 121.0, -23.0, -20.0),
        ("Harz Mountains, Germany", 10.2, 11.5, 51.5, 51.9),
        ("Bushveld Complex, South Africa", 27.0, 30.0, -25.5, -24.0),
        ("Scottish Highlands, United Kingdom", -6.0, -3.5, 56.5, 58.0),
        ("Basin and Range, Nevada", -118.0, -115.0, 37.0, 41.0),
        ("Sudbury Basin, Ontario", -81.5, -80.5, 46.3, 46.8),
        ("Atacama Desert, Chile", -70.5, -68.5, -25.0, -22.0),
    ),
    depot="Core store",
)

SEA = Profile(
    plans=(
        Plan(
            "site",
            "coring station",
            "ST",
            False,
            (
                Level(
                    "core",
                    "sediment",
                    ("Corer:Gravity", "Corer:Piston", "Corer:Multi", "Corer:Box"),
                    "sediment core",
                    "C",
                    (1, 2),
                ),
                Level("coreSection", "sediment", ("Corer:Gravity",), "core section", "S", (2, 5)),
                Level("coreSectionHalf", "sediment", ("Corer:Gravity",), "working half", "W", (1, 1)),
                Level("other", "particulate", ("Other",), "foraminifera picks", "F", (0, 2)),
            ),
            (
                "foraminifera",
                "diatom ooze",
                "turbidite",
                "nannofossil ooze",
                "tephra layer",
                "hemipelagic mud",
                "sapropel",
                "radiolarian",
            ),
        ),
        Plan(
            "site",
            "dredge station",
            "DR",
            False,
            (
                Level("dredge", "rock", ("Dredge", "Dredge:ChainBag"), "dredge haul", "D", (1, 2)),
                Level("individualSample", "rock", ("Dredge",), "dredged rock", "R", (2, 4)),
                Level("thinSection", "rock", ("Dredge",), "thin section", "T", (0, 1)),
            ),
            (
                "pillow basalt",
                "manganese nodule",
                "hydrothermal",
                "serpentinite",
                "gabbro",
                "ferromanganese crust",
                "glassy basalt",
            ),
        ),
        Plan(
            "CTD",
            "CTD cast",
            "CTD",
            False,
            (
                Level("individualSample", "liquidAqueous", ("Other",), "Niskin bottle water", "N", (2, 5)),
                Level("individualSample", "particulate", ("Other",), "filtered particulate", "F", (0, 1)),
            ),
            ("seawater", "pore water", "chlorophyll", "nutrient", "dissolved oxygen", "plankton"),
            Level("individualSample", "liquidAqueous", ("Other",), "pooled water", "X", (1, 1)),
            0,
        ),
    ),
    regions=(
        ("Mid-Atlantic Ridge", -45.0, -25.0, 10.0, 40.0),
        ("Kerguelen Plateau, Southern Ocean", 68.0, 80.0, -55.0, -46.0),
        ("North Sea", 1.0, 7.0, 53.0, 58.0),
        ("Bay of Bengal", 84.0, 92.0, 12.0, 21.0),
        ("Gulf of California", -114.0, -108.0, 23.0, 31.0),
        ("Weddell Sea", -50.0, -20.0, -75.0, -65.0),
    ),
    depot="Repository",
)

BIO = Profile(
    plans=(
        Plan(
            "quadrat",
            "vegetation quadrat",
            "Q",
            True,
            (
                Level("individualSample", "organism", ("Hand",), "plant voucher", "V", (2, 5)),
                Level("individualSample", "tissue", ("Hand:Knife",), "leaf tissue", "L", (0, 2)),
                Level("foliageDigestion", "liquidAqueous", ("Other",), "foliage digest", "D", (0, 1)),
            ),
            ("Eucalyptus", "moss", "lichen", "fern", "orchid", "sedge", "leaf litter", "epiphyte"),
        ),
        Plan(
            "soilPitSection",
            "soil pit",
            "SP",
            False,
            (
                Level("individualSample", "soil", ("Hand:Auger", "Scoop"), "soil horizon", "H", (3, 5)),
                Level("other", "soil", ("Other",), "sieved fraction", "F", (0, 2)),
            ),
            ("rhizosphere", "podzol", "humus", "clay-rich", "fungal hyphae", "microbial mat", "peat"),
            Level("other", "soil", ("Other",), "composite soil", "X", (1, 1)),
            0,
        ),
        Plan(
            "transect",
            "trap transect",
            "TR",
            False,
            (
                Level("individualSample", "organism", ("Trap", "Net"), "animal specimen", "A", (2, 5)),
                Level("individualSample", "tissue", ("Hand:Knife",), "tissue sample", "T", (1, 2)),
            ),
            ("beetle", "frog", "bat", "moth", "skink", "spider", "liver tissue", "muscle tissue"),
        ),
    ),
    regions=(
        ("Daintree rainforest, Queensland", 145.2, 145.5, -16.3, -16.0),
        ("Bavarian Forest, Germany", 13.1, 13.7, 48.8, 49.1),
        ("Okavango Delta, Botswana", 22.0, 24.0, -20.0, -18.5),
        ("Sabah lowland forest, Borneo", 116.5, 118.5, 4.5, 6.0),
        ("Yellowstone, Wyoming", -111.0, -110.0, 44.2, 45.0),
        ("Svalbard tundra, Norway", 11.0, 17.0, 77.5, 79.5),
    ),
    depot="Specimen vault",
)

PROFILES = {"ZGEO": GEO, "ZSEA": SEA, "ZBIO": BIO}

FIRST_NAMES = (
    "Ada",
    "Bram",
    "Carla",
    "Dmitri",
    "Elif",
    "Femi",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kaia",
    "Luca",
    "Maren",
    "Nadia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sanjay",
    "Tove",
    "Uma",
    "Viktor",
    "Wen",
    "Xenia",
    "Yusuf",
    "Zofia",
)
LAST_NAMES = (
    "Abernathy",
    "Brightwater",
    "Castellan",
    "Drummond",
    "Eskildsen",
    "Fairweather",
    "Gallo",
    "Hollis",
    "Ingram",
    "Jablonski",
    "Kettering",
    "Lindqvist",
    "Moravec",
    "Nakamura",
    "Okonkwo",
    "Pellegrini",
    "Quarrie",
    "Rasmussen",
    "Saltonstall",
    "Thorvald",
    "Underhill",
    "Vasquez",
    "Whitlock",
    "Yardley",
    "Zeller",
)
