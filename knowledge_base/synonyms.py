"""Everyday parent words mapped to one concept, across Dutch and English.

Each group names a concept and the words (any inflection; they are lemmatised and stemmed like the
text) that stand for it. Both the entry phrasings and the parent's question are mapped, so
"tantrum", "woedeaanval" and "driftbui" meet as one term. Groups hold general vocabulary, never
sentences.
"""

from __future__ import annotations

from collections.abc import Mapping

# concept -> (dutch words, english words)
SYNONYM_GROUPS: Mapping[str, tuple[str, str]] = {
    "driftbui": (
        "driftbui driftbuien woedeaanval woedebui woedebuien woedeuitbarsting driftaanval "
        "boosheidsbui krijsbui tantrum koppigheidsfase ontploft ontploffen flipt "
        "flippen",
        "tantrum tantrums meltdown meltdowns outburst outbursts explodes",
    ),
    "huilen": (
        "huilen huilt jengelen krijsen krijst",
        "cry crying cries scream",
    ),
    "slapen": (
        "slapen slaap slaapt doorslapen dutje dutjes bedtijd bedtijden slaapritme "
        "slaapprobleem slaapproblemen wakker",
        "sleep sleeping sleeps asleep nap naps bedtime awake wake wakes waking",
    ),
    "nacht": (
        "nacht nachts",
        "night nights",
    ),
    "baby": (
        "baby babys zuigeling pasgeboren pasgeborene newborn",
        "baby babies infant newborn",
    ),
    "peuter": (
        "peuter peuters dreumes dreumesen",
        "toddler toddlers preschooler",
    ),
    "tiener": (
        "tiener tieners puber pubers adolescent adolescenten brugklasser brugklassers",
        "teen teens teenager teenagers adolescent adolescents",
    ),
    "kind": (
        "kind kinderen kindje zoon zoontje dochter dochtertje jongen meisje kids kid",
        "child children kid kids son daughter boy girl",
    ),
    "eten": (
        "eten eet maaltijd avondeten groente groenten bord kieskeurig tussendoortje "
        "tussendoortjes lust",
        "eat eating eats meal meals dinner vegetables veggies picky fussy",
    ),
    "voeding": (
        "borstvoeding flesvoeding fles flesje voeding voeden kunstvoeding voedingen kolven "
        "afkolven",
        "breastfeeding breastfeed bottle formula feeding feed feeds nursing",
    ),
    "vast_voedsel": (
        "hapje hapjes oefenhapjes bijvoeding vast_voedsel",
        "solids solid weaning",
    ),
    "zindelijk": (
        "zindelijk zindelijkheid zindelijkheidstraining potje wc luier luiers plassen poepen",
        "potty toilet nappy nappies diaper diapers pee poo poop",
    ),
    "bedplassen": (
        "bedplassen bedplast plasser",
        "bedwetting",
    ),
    "luisteren": (
        "luisteren luistert ongehoorzaam gehoorzamen gehoorzaam negeert negeren tegenin koppig "
        "dwars opdracht opdrachten",
        "listen listening listens obey disobey disobedient ignores ignoring defiant stubborn "
        "instructions",
    ),
    "slaan": (
        "slaan slaat schoppen schopt bijten bijt knijpen knijpt duwen duwt agressief agressie",
        "hit hits hitting kick kicks kicking bite bites biting aggressive aggression pinch pinches",
    ),
    "ruzie": (
        "ruzie ruzies ruziemaken vechten vechtpartij bekvechten",
        "fight fights fighting argue argues arguing quarrel",
    ),
    "broer_zus": (
        "broer broers zus zussen zusje zusjes broertje broertjes tweeling",
        "sibling siblings brother brothers sister sisters",
    ),
    "jaloers": (
        "jaloers jaloezie",
        "jealous jealousy",
    ),
    "opvang": (
        "opvang kinderdagverblijf kdv creche peuterspeelzaal gastouder peuteropvang bso",
        "daycare nursery childcare preschool",
    ),
    "afscheid": (
        "afscheid wegbrengen klampt klampen vastklampen loslaten wegga weggaan "
        "wennen wenperiode",
        "goodbye dropoff clings clingy cling separation_anxiety settling",
    ),
    "speen": (
        "speen spenen fopspeen tut",
        "dummy dummies pacifier pacifiers",
    ),
    "duimen": (
        "duimen duimzuigen duim",
        "thumb thumbsucking",
    ),
    "praten": (
        "praten spreken taal woordjes woorden uitspraak uitspreken",
        "talk talking speak speaking speech words language pronounce pronunciation",
    ),
    "stotteren": (
        "stotteren stottert hakkelen",
        "stutter stuttering stutters",
    ),
    "tweetalig": (
        "tweetalig meertalig",
        "bilingual multilingual",
    ),
    "angst": (
        "angst angstig bang eng angsten vrees piekeren piekert",
        "fear fears afraid scared frightened anxious anxiety worry worries worrying",
    ),
    "nachtmerrie": (
        "nachtmerrie nachtmerries enge_droom",
        "nightmare nightmares bad_dream",
    ),
    "donker": (
        "donker",
        "dark",
    ),
    "liegen": (
        "liegen liegt leugen leugens jokken jokt voorliegen smoesjes smoes verzint",
        "liar lies_to lying_to lied_to tells_lies telling_lies told_lies",
    ),
    "stelen": (
        "stelen steelt gestolen pikken pikt jatten",
        "steal steals stealing stole",
    ),
    "scherm": (
        "scherm schermtijd tablet ipad telefoon mobiel smartphone televisie tv youtube",
        "screen screens screentime tablet ipad phone smartphone television tv youtube",
    ),
    "gamen": (
        "gamen gamet game games gameverslaving fortnite minecraft roblox playstation xbox switch "
        "nintendo console",
        "gaming game games gamer videogames",
    ),
    "social_media": (
        "tiktok instagram snapchat whatsapp sociale_media socialmedia",
        "tiktok instagram snapchat whatsapp social_media socialmedia",
    ),
    "pesten": (
        "pesten pest pester pesters pestkop dader uitschelden",
        "bully bullies bullying",
    ),
    "gepest": (
        "gepest getreiterd buitengesloten uitgelachen uitgescholden genegeerd",
        "bullied excluded teased",
    ),
    "vriend": (
        "vriend vriendje vriendjes vriendin vriendinnetje vriendinnetjes vriendschap",
        "friend friends friendship",
    ),
    "huiswerk": (
        "huiswerk toets toetsen proefwerk proefwerken cijfers cijfer onvoldoende onvoldoendes "
        "rapport magister",
        "homework study studying grades",
    ),
    "school": (
        "school basisschool middelbare klas leraar juf meester leerkracht mentor brugklas "
        "vmbo havo vwo",
        "school teacher class",
    ),
    "druk": (
        "druk beweeglijk onrustig hyperactief impulsief wiebelen stilzitten stuitert stuiteren",
        "hyper hyperactive restless impulsive fidgety",
    ),
    "concentratie": (
        "concentratie concentreren focus",
        "concentrate concentration focus",
    ),
    "adhd": (
        "adhd add",
        "adhd",
    ),
    "belonen": (
        "belonen beloning beloningen beloningssysteem stickerkaart stickers complimenten prijzen",
        "reward rewards praise sticker stickers chart",
    ),
    "straffen": (
        "straffen straf consequentie consequenties timeout strafstoel strafhoek tik tikje "
        "billenkoek",
        "punish punishment punishments consequence consequences timeout",
    ),
    "zakgeld": (
        "zakgeld kleedgeld geld sparen spaart",
        "allowance pocket_money money",
    ),
    "seks": (
        "seks seksueel seksualiteit voorlichting",
        "sex sexual sexuality",
    ),
    "puberteit": (
        "puberteit pubertijd ongesteld menstruatie borstjes",
        "puberty first_period menstruation",
    ),
    "alcohol": (
        "alcohol drank bier zuipen dronken",
        "alcohol drink drinking drunk beer",
    ),
    "roken": (
        "roken rookt sigaret sigaretten vapen vape vapet",
        "smoke smoking smokes vape vaping cigarettes",
    ),
    "drugs": (
        "drugs blowen blowt wiet hasj joint jointje xtc",
        "drugs weed cannabis marijuana",
    ),
    "somber": (
        "somber somberheid verdrietig depressief neerslachtig ongelukkig lusteloos teruggetrokken "
        "terugtrekken",
        "sad depressed unhappy low_mood withdrawn",
    ),
    "spijbelen": (
        "spijbelen spijbelt schoolverzuim verzuim",
        "truant truancy skipping",
    ),
    "scheiding": (
        "scheiding scheiden gescheiden uit_elkaar ex",
        "divorce divorced separation separated split_up ex",
    ),
    "stiefouder": (
        "stiefmoeder stiefkind stiefkinderen stiefouder bonusvader bonusmoeder "
        "bonuskind bonuskinderen",
        "stepfather stepmother stepchild stepchildren stepparent stepdad stepmom",
    ),
    "partner": (
        "partner vriend vriendin man vrouw",
        "partner boyfriend girlfriend husband wife",
    ),
    "rouw": (
        "rouw rouwen overleden overlijden dood sterven begrafenis ingeslapen gestorven",
        "grief grieving died death dead funeral passed_away",
    ),
    "moe": (
        "moe uitgeput oververmoeid overbelast overspannen burnout opgebrand vastgelopen "
        "tekortschieten",
        "tired exhausted worn overwhelmed burnout",
    ),
    "opa_oma": (
        "opa oma grootouders grootouder",
        "grandpa grandma grandparents grandparent grandmother grandfather",
    ),
    "gewicht": (
        "gewicht overgewicht dik te_dik ondergewicht",
        "weight overweight fat underweight thin",
    ),
    "bewegen": (
        "bewegen sport sporten buitenspelen",
        "exercise sport sports active",
    ),
    "snoep": (
        "snoep snoepen chips frisdrank koekjes chocola",
        "sweets candy snacks soda",
    ),
    "zelfstandig": (
        "zelfstandig zelfstandigheid",
        "independent independence",
    ),
    "cursus": (
        "cursus cursussen training trainingen opvoedcursus workshop",
        "course courses class classes training workshop",
    ),
    "privacy": (
        "privacy gegevens opgeslagen opslaan bewaren bewaard verwijderen wissen dossier",
        "privacy data stored delete deleted record",
    ),
    "hulp": (
        "hulp",
        "help",
    ),
    "boos": (
        "boos woedend",
        "angry mad furious",
    ),
    "openingstijden": (
        "openingstijden bereikbaar geopend bereikbaarheid jullie_open nog_open",
        "opening_hours",
    ),
    "mens": (
        "robot computer mens persoon medewerker adviseur",
        "robot bot computer human person adviser",
    ),
    "ouderlijk_toezicht": (
        "toezicht filter filters instellingen meekijken",
        "parental_controls filter",
    ),
    "omgang": (
        "omgangsregeling omgang overdracht ouderschapsplan",
        "handover custody visitation",
    ),
    "zwanger": (
        "zwanger zwangerschap bevalling geboorte kraamtijd",
        "pregnant pregnancy birth",
    ),
    "uitgaan": (
        "uitgaan gaan_stappen feest feestje feestjes thuiskomtijd avondklok",
        "curfew party parties going_out nightlife",
    ),
    "brutaal": (
        "brutaal onbeschoft respectloos weerwoord tegenspreken",
        "rude disrespectful cheeky backchat",
    ),
    "op_pad": (
        "fietsen fiets bus tram stad oversteken verkeer",
        "bike bus traffic",
    ),
    "hulpverlening": (
        "psycholoog jeugdhulp jeugdzorg wijkteam jeugdteam verwijzing doorverwijzing verwijsbrief",
        "psychologist therapist referral",
    ),
    "speelafspraak": (
        "speelafspraak speelafspraakje speelafspraakjes logeren logeerpartijtje",
        "playdate playdates sleepover sleepovers",
    ),
    "logopedie": (
        "logopedie logopedist logopediste",
        "speech_therapist speech_therapy",
    ),
    "humeur": (
        "chagrijnig humeurig prikkelbaar",
        "grumpy irritable",
    ),
    "verhuizen": (
        "verhuizen verhuizing verhuisd verhuist nieuw_huis nieuwe_huis",
        "relocate relocation moving_house moved_house new_house new_home",
    ),
    "schreeuwen": (
        "schreeuwen schreeuwt gillen gilt",
        "shout shouting yell yelling scream screaming",
    ),
}
