"""Everyday parent words mapped to one concept, across Dutch and English.

Each group names a concept and the words (any inflection; they are lemmatised and stemmed like the
text) that stand for it. Both the entry phrasings and the parent's question are mapped, so "tantrum",
"woedeaanval" and "driftbui" meet as one term. Groups hold general vocabulary, never sentences.
"""

from __future__ import annotations

from collections.abc import Mapping

# concept -> (dutch words, english words)
SYNONYM_GROUPS: Mapping[str, tuple[str, str]] = {
    "driftbui": (
        "driftbui driftbuien woedeaanval woedebui woedeuitbarsting driftaanval boosheidsbui "
        "krijsbui huilbui_boos tantrum koppigheidsfase",
        "tantrum tantrums meltdown meltdowns outburst outbursts",
    ),
    "huilen": ("huilen huilt jengelen jengelt krijsen krijst janken", "cry crying cries scream"),
    "slapen": (
        "slapen slaap slaapt inslapen doorslapen slaapje dutje dutjes bedtijd bedtijden "
        "slaapritme slaapprobleem slaapproblemen wakker",
        "sleep sleeping sleeps asleep nap naps bedtime awake wake wakes waking",
    ),
    "nacht": ("nacht nachts", "night nights"),
    "baby": (
        "baby babys zuigeling pasgeboren pasgeborene newborn",
        "baby babies infant newborn",
    ),
    "peuter": ("peuter peuters dreumes dreumesen", "toddler toddlers preschooler"),
    "tiener": (
        "tiener tieners puber pubers adolescent adolescenten",
        "teen teens teenager teenagers adolescent adolescents",
    ),
    "kind": (
        "kind kinderen kindje zoon zoontje dochter dochtertje jongen meisje kids kid",
        "child children kid kids son daughter boy girl",
    ),
    "eten": (
        "eten eet at maaltijd avondeten groente groenten bord kieskeurig",
        "eat eating eats meal meals dinner vegetables veggies picky fussy",
    ),
    "voeding": (
        "borstvoeding flesvoeding fles flesje voeding voeden drinken kunstvoeding",
        "breastfeeding breastfeed bottle formula feeding feed feeds nursing",
    ),
    "vast_voedsel": ("hapje hapjes oefenhapjes bijvoeding vast_voedsel", "solids solid weaning"),
    "zindelijk": (
        "zindelijk zindelijkheid zindelijkheidstraining potje wc luier luiers plassen poepen",
        "potty toilet nappy nappies diaper diapers pee poo poop",
    ),
    "bedplassen": ("bedplassen bedplast plasser", "bedwetting"),
    "luisteren": (
        "luisteren luistert ongehoorzaam gehoorzamen gehoorzaam negeert negeren",
        "listen listening listens obey disobey disobedient ignores ignoring",
    ),
    "slaan": (
        "slaan slaat schoppen schopt bijten bijt knijpen knijpt duwen duwt agressief agressie",
        "hit hits hitting kick kicks kicking bite bites biting aggressive aggression pinch pinches",
    ),
    "ruzie": ("ruzie ruzies ruziemaken vechten vechtpartij bekvechten", "fight fights fighting argue argues arguing quarrel"),
    "broer_zus": (
        "broer broers zus zussen zusje zusjes broertje broertjes",
        "sibling siblings brother brothers sister sisters",
    ),
    "jaloers": ("jaloers jaloezie", "jealous jealousy"),
    "opvang": (
        "opvang kinderdagverblijf kdv creche peuterspeelzaal gastouder peuteropvang bso",
        "daycare nursery childcare preschool",
    ),
    "afscheid": ("afscheid wegbrengen brengen", "goodbye drop dropoff drop-off"),
    "speen": ("speen spenen fopspeen tut", "dummy dummies pacifier pacifiers"),
    "duimen": ("duimen duimzuigen duim", "thumb thumbsucking"),
    "praten": ("praten spreken taal woordjes woorden", "talk talking speak speaking speech words language"),
    "stotteren": ("stotteren stottert hakkelen", "stutter stuttering stutters"),
    "tweetalig": ("tweetalig meertalig", "bilingual multilingual"),
    "angst": (
        "angst angstig bang eng angsten vrees",
        "fear fears afraid scared frightened anxious anxiety",
    ),
    "nachtmerrie": ("nachtmerrie nachtmerries enge_droom", "nightmare nightmares bad_dream"),
    "donker": ("donker", "dark"),
    "liegen": ("liegen liegt leugen leugens jokken jokt", "lie lies lying liar"),
    "stelen": ("stelen steelt gestolen pikken pikt jatten", "steal steals stealing stole"),
    "scherm": (
        "scherm schermtijd tablet ipad telefoon mobiel smartphone televisie tv youtube",
        "screen screens screentime tablet ipad phone smartphone television youtube",
    ),
    "gamen": ("gamen gamet game games gameverslaving fortnite minecraft roblox playstation xbox",
              "gaming game games gamer videogames"),
    "social_media": (
        "tiktok instagram snapchat whatsapp sociale_media socialmedia",
        "tiktok instagram snapchat whatsapp social_media socialmedia",
    ),
    "pesten": ("pesten pest gepest pester pesterij buitengesloten", "bully bullied bullying bullies"),
    "vriend": ("vriend vriendje vriendjes vriendin vriendinnetje vriendinnetjes vriendschap", "friend friends friendship"),
    "huiswerk": ("huiswerk leren toets toetsen", "homework study studying test tests"),
    "school": ("school basisschool middelbare klas leraar juf meester leerkracht mentor", "school teacher class"),
    "druk": ("druk beweeglijk onrustig hyperactief impulsief wiebelen", "hyper hyperactive restless impulsive fidgety"),
    "concentratie": ("concentratie concentreren focus", "concentrate concentration focus"),
    "adhd": ("adhd add", "adhd add"),
    "belonen": ("belonen beloning beloningen beloningssysteem stickerkaart stickers complimenten prijzen",
                "reward rewards praise sticker stickers chart"),
    "straffen": ("straffen straf straffen consequentie consequenties timeout strafstoel",
                 "punish punishment punishments consequence consequences timeout"),
    "zakgeld": ("zakgeld kleedgeld geld", "allowance pocket_money money"),
    "seks": ("seks seksueel seksualiteit voorlichting", "sex sexual sexuality"),
    "puberteit": ("puberteit pubertijd ongesteld menstruatie borstjes", "puberty period periods menstruation"),
    "alcohol": ("alcohol drank drinken bier zuipen dronken", "alcohol drink drinking drunk beer"),
    "roken": ("roken rookt sigaret sigaretten vapen vape vapet", "smoke smoking smokes vape vaping cigarettes"),
    "drugs": ("drugs blowen blowt wiet hasj joint jointje xtc", "drugs weed cannabis marijuana"),
    "somber": ("somber somberheid verdrietig depressief neerslachtig ongelukkig lusteloos",
               "sad depressed down unhappy low"),
    "spijbelen": ("spijbelen spijbelt schoolverzuim verzuim", "truant truancy skipping"),
    "scheiding": ("scheiding scheiden gescheiden uit_elkaar ex", "divorce divorced separation separated split ex"),
    "stiefouder": (
        "stiefvader stiefmoeder stiefkind stiefkinderen stiefouder bonusvader bonusmoeder "
        "bonuskind bonuskinderen",
        "stepfather stepmother stepchild stepchildren stepparent stepdad stepmom",
    ),
    "partner": ("partner vriend vriendin man vrouw", "partner boyfriend girlfriend husband wife"),
    "rouw": ("rouw rouwen overleden overlijden dood sterven begrafenis", "grief grieving died death dead funeral passed"),
    "moe": ("moe uitgeput oververmoeid kapot", "tired exhausted worn"),
    "opa_oma": ("opa oma grootouders grootouder", "grandpa grandma grandparents grandparent grandmother grandfather"),
    "gewicht": ("gewicht overgewicht dik te_dik zwaar ondergewicht mager", "weight overweight fat underweight thin"),
    "bewegen": ("bewegen sport sporten buitenspelen", "exercise sport sports active"),
    "snoep": ("snoep snoepen chips frisdrank", "sweets candy snacks soda"),
    "alleen": ("alleen zelfstandig zelfstandigheid", "alone independent independence"),
    "cursus": ("cursus cursussen training trainingen opvoedcursus workshop", "course courses class classes training workshop"),
    "privacy": ("privacy gegevens data opgeslagen bewaren verwijderen", "privacy data stored delete"),
    "hulp": ("hulp", "help"),
    "boos": ("boos kwaad woedend", "angry mad furious"),
    "schreeuwen": ("schreeuwen schreeuwt gillen gilt", "shout shouting yell yelling scream screaming"),
}
