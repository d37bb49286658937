"""The demo commune's co-construction history, written through the participation services.

A process in each state: a call for ideas in its proposals phase ("Vaudrecourt en
transition"), an energy-sobriety plan in its debate phase with a past workshop, a consultation
on the market square with its questionnaire answered, a participatory budget to come and last
year's call for ideas, archived. Services date what they write "now": once a piece of history
is written (while its phase was open), its dates are moved back with ``queryset.update``, and
a calendar written while a phase was open is moved back as a whole.

What residents wrote is French, as a French commune's residents write. Each proposal names a
street of the demo (``addresses.STREETS``), so that it lands in the right district or hamlet
on the map. Categories are indexes into the blueprint's default categories (in their order).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from beffroi.accounts.models import Role, User
from beffroi.alerts.models import Place
from beffroi.core.models import AuditEvent
from beffroi.demo import constants as c
from beffroi.participation.comments.services import (
    Subject,
    comment_create,
    comment_url,
    comment_vote,
)
from beffroi.participation.consultations.answering import field_name, rank_name, row_name
from beffroi.participation.consultations.services import (
    ProjectData,
    QuestionData,
    QuestionnaireData,
    answer_tag_add,
    opinion_give,
    project_create,
    question_create,
    questionnaire_create,
    response_submit,
)
from beffroi.participation.meetings.services import (
    MeetingData,
    meeting_create,
    meeting_minutes_save,
    meeting_path,
    registration_create,
    registrations_mark_attended,
)
from beffroi.participation.models import (
    Answer,
    Blueprint,
    Category,
    Choice,
    Comment,
    CommentVote,
    Follow,
    Meeting,
    Notification,
    Opinion,
    Participant,
    Phase,
    PhaseType,
    Process,
    Proposal,
    Question,
    Questionnaire,
    Registration,
    Report,
    Response,
    Support,
)
from beffroi.participation.moderation.services import Content, content_hide, report_create
from beffroi.participation.participants.services import (
    participant_for_user,
    participant_profile_update,
)
from beffroi.participation.processes.services import (
    ProcessData,
    phases_notify_transitions,
    process_archive,
    process_follow,
    process_from_blueprint,
    process_publish,
    process_update,
)
from beffroi.participation.proposals.services import Place as ProposalPlace
from beffroi.participation.proposals.services import (
    ProposalInput,
    follow_add,
    proposal_answer,
    proposal_create,
    proposal_create_on_behalf,
    proposal_review_feasibility,
    proposal_url,
    support_add,
)
from beffroi.territory.models import Address, Organisation


@dataclass(frozen=True)
class Idea:
    title: str
    body: str
    category: int
    street: str
    cost: int | None = None


# "Vaudrecourt en transition" (call for ideas). Categories: 0 cadre de vie, 1 mobilité,
# 2 environnement et nature, 3 solidarité, 4 culture et sport, 5 éducation et jeunesse.
TRANSITION_IDEAS: tuple[Idea, ...] = (
    Idea(
        "Des bancs le long du chemin de halage",
        "Le chemin de halage est très fréquenté par les promeneurs, mais il n'y a aucun endroit "
        "pour s'asseoir entre le pont et le moulin. Quelques bancs en bois local, tous les "
        "300 mètres, permettraient aux personnes âgées de faire la promenade.",
        0,
        "Rue du Pont",
        4800,
    ),
    Idea(
        "Une piste cyclable entre le bourg et la Croix-Blanche",
        "Beaucoup d'enfants vont à l'école à vélo depuis la Croix-Blanche, sur une route où "
        "les voitures roulent vite. Une piste séparée de la chaussée, même étroite, rassurerait "
        "les parents et donnerait envie à d'autres de laisser la voiture.",
        1,
        "Rue de la Croix-Blanche",
        180000,
    ),
    Idea(
        "Un jardin partagé derrière l'école",
        "Le terrain en friche derrière l'école pourrait devenir un jardin partagé : des "
        "parcelles pour les habitants sans jardin, un carré pour les classes, un récupérateur "
        "d'eau de pluie. L'association des parents d'élèves est prête à l'animer.",
        2,
        "Rue des Écoles",
        6500,
    ),
    Idea(
        "Éteindre l'éclairage public de 23 h à 5 h",
        "De nombreuses communes voisines coupent l'éclairage la nuit : économies d'énergie, "
        "ciel étoilé, moins de gêne pour les animaux. On pourrait garder allumés les abords de "
        "la mairie et les passages piétons.",
        2,
        "Rue de la Mairie",
    ),
    Idea(
        "Une boîte à livres sur la place de l'Église",
        "Une ancienne cabine ou une armoire étanche où chacun dépose et emprunte des livres. "
        "Cela marche très bien dans les villages alentour et ne coûte presque rien.",
        4,
        "Place de l'Église",
        600,
    ),
    Idea(
        "Un abri pour attendre le car scolaire aux Granges",
        "Les collégiens des Granges attendent le car au bord de la départementale, sous la "
        "pluie l'hiver. Un abri avec un éclairage solaire serait un vrai progrès.",
        5,
        "Rue de la Ferme",
        7500,
    ),
    Idea(
        "Planter une haie champêtre le long du stade",
        "Une haie d'essences locales (aubépine, noisetier, charme) couperait le vent sur le "
        "terrain, abriterait les oiseaux et cacherait le parking. Les enfants de l'école "
        "pourraient participer à la plantation.",
        2,
        "Rue du Stade",
        3200,
    ),
    Idea(
        "Un covoiturage organisé vers Commercy",
        "Un tableau en mairie et une page sur le site pour mettre en relation ceux qui vont "
        "travailler à Commercy chaque jour. Beaucoup font le trajet seuls dans leur voiture.",
        1,
        "Rue de la Poste",
        500,
    ),
    Idea(
        "Réparer la passerelle du Moulin",
        "La passerelle en bois qui enjambe le bief du Moulin est glissante et deux planches "
        "sont cassées. C'est le seul passage à pied vers le bourg pour les habitants du Moulin.",
        0,
        "Rue de la Roue",
        12000,
    ),
    Idea(
        "Un repair café une fois par mois",
        "Des bénévoles aident à réparer petit électroménager, vélos et vêtements dans la salle "
        "des fêtes, un samedi par mois. Moins de déchets, et l'occasion de se rencontrer.",
        3,
        "Rue Victor Hugo",
        1500,
    ),
    Idea(
        "Des toilettes publiques près du city-stade",
        "Les familles qui viennent au city-stade et au terrain de foot n'ont aucune toilette "
        "à proximité. Des toilettes sèches, entretenues par la commune, suffiraient.",
        0,
        "Rue des Sports",
        25000,
    ),
    Idea(
        "Limiter la vitesse à 30 km/h dans le bourg",
        "Dans les rues du centre, les trottoirs sont étroits et les enfants marchent sur la "
        "chaussée. Une zone 30 avec quelques aménagements rendrait le bourg plus sûr.",
        1,
        "Rue du Général de Gaulle",
        15000,
    ),
    Idea(
        "Un verger communal à la Haute-Borne",
        "Le terrain communal en haut de la colline pourrait accueillir des variétés anciennes "
        "de mirabelliers et de pommiers. La récolte serait partagée entre les habitants.",
        2,
        "Rue de la Haute-Borne",
        4000,
    ),
    Idea(
        "Des cours d'informatique pour les aînés",
        "Beaucoup de démarches se font désormais en ligne. Des ateliers à la médiathèque, "
        "animés par des jeunes volontaires, aideraient les aînés à ne pas rester à l'écart.",
        3,
        "Rue Pasteur",
        2000,
    ),
    Idea(
        "Rénover le lavoir de la rue du Lavoir",
        "Le lavoir est un beau témoin du passé du village, mais sa toiture fuit. Une rénovation "
        "avec un panneau racontant son histoire en ferait une étape des promenades.",
        4,
        "Rue du Lavoir",
        35000,
    ),
    Idea(
        "Un marché de producteurs le vendredi soir",
        "Les maraîchers et éleveurs des environs vendraient directement sur la place, de 17 h "
        "à 20 h, quand les gens rentrent du travail.",
        0,
        "Place de l'Église",
        800,
    ),
    Idea(
        "Des nichoirs et des hôtels à insectes",
        "Installer des nichoirs à mésanges et des hôtels à insectes dans les espaces verts, "
        "fabriqués avec les enfants du centre de loisirs.",
        2,
        "Rue des Vergers",
        900,
    ),
    Idea(
        "Un terrain de pétanque éclairé au Champ de Foire",
        "Le terrain de pétanque est très utilisé l'été en soirée. Un éclairage à détection, "
        "qui s'éteint seul, permettrait de jouer après 21 h sans gaspiller.",
        4,
        "Place du Champ de Foire",
        6000,
    ),
    Idea(
        "Sécuriser le carrefour de Saint-Firmin",
        "Au carrefour devant la chapelle, la visibilité est mauvaise et plusieurs accrochages "
        "ont eu lieu. Un stop et un miroir éviteraient un accident plus grave.",
        1,
        "Place de la Chapelle",
        3500,
    ),
    Idea(
        "Une aire de jeux pour les tout-petits aux Aulnaies",
        "Il n'y a aucune aire de jeux dans les hameaux. Quelques jeux pour les moins de six ans "
        "près des Saules feraient le bonheur des jeunes familles du hameau.",
        5,
        "Rue des Saules",
        22000,
    ),
    Idea(
        "Récupérer l'eau de pluie des bâtiments communaux",
        "Des cuves sous les gouttières de la mairie, de l'école et des ateliers municipaux "
        "permettraient d'arroser les massifs sans eau potable.",
        2,
        "Rue de la Mairie",
        9000,
    ),
    Idea(
        "Un conseil municipal des jeunes",
        "Les 11-17 ans ont des idées mais peu d'occasions de les défendre. Un conseil élu dans "
        "les classes, avec un petit budget, les initierait à la vie de la commune.",
        5,
        "Rue des Écoles",
        3000,
    ),
    Idea(
        "Une navette pour le marché de Neufchâteau",
        "Un minibus le mardi matin pour les personnes sans voiture, surtout dans les hameaux. "
        "La commune voisine le fait avec la communauté de communes.",
        3,
        "Rue Saint-Firmin",
        8000,
    ),
    Idea(
        "Des arceaux à vélos devant les commerces",
        "Devant la boulangerie et la pharmacie, les vélos sont attachés aux barrières ou "
        "posés contre les vitrines. Quelques arceaux suffiraient.",
        1,
        "Rue de la Poste",
        1200,
    ),
    Idea(
        "Un panneau d'information lumineux à l'entrée du bourg",
        "Pour annoncer les manifestations, les travaux et les alertes aux habitants qui ne "
        "consultent pas le site de la commune.",
        0,
        "Rue Jeanne d'Arc",
        14000,
    ),
    Idea(
        "Fleurir les entrées du village avec des vivaces",
        "Remplacer les annuelles, coûteuses en eau et en travail, par des vivaces et des "
        "graminées qui restent belles toute l'année.",
        2,
        "Rue du Four",
        2500,
    ),
    Idea(
        "Une fête des voisins à l'échelle de la commune",
        "Un grand repas partagé en juin, chaque quartier apportant un plat, pour que les "
        "nouveaux arrivants rencontrent les anciens.",
        4,
        "Place du Champ de Foire",
        1000,
    ),
    Idea(
        "Un défibrillateur aux Granges",
        "Le seul défibrillateur est à la mairie. Les Granges sont à dix minutes du bourg : "
        "un appareil accessible de jour comme de nuit pourrait sauver une vie.",
        3,
        "Rue de la Ferme",
        1800,
    ),
    Idea(
        "Un ramassage des encombrants deux fois par an",
        "Beaucoup d'habitants n'ont pas de véhicule pour aller à la déchetterie. Un ramassage "
        "sur inscription éviterait les dépôts sauvages au bord des chemins.",
        0,
        "Rue des Lilas",
        4000,
    ),
    Idea(
        "Un sentier botanique le long de l'Aulne",
        "Des panneaux présentant les arbres et les plantes des bords de rivière, conçus avec "
        "les classes de l'école et le club nature.",
        5,
        "Rue du Pré Fleuri",
        5000,
    ),
    Idea(
        "Ouvrir la bibliothèque le samedi après-midi",
        "La bibliothèque est fermée quand les familles sont disponibles. Une ouverture le "
        "samedi de 14 h à 17 h, avec des bénévoles, serait très appréciée.",
        4,
        "Rue Pasteur",
    ),
    Idea(
        "Un composteur collectif dans chaque quartier",
        "Pour ceux qui n'ont pas de jardin : un composteur partagé par quartier, avec un "
        "référent formé, réduirait le poids de nos poubelles.",
        2,
        "Rue des Vergers",
        3000,
    ),
    Idea(
        "Des ralentisseurs rue du Stade",
        "Les voitures accélèrent en sortant du lotissement, juste devant l'entrée du stade où "
        "jouent les enfants. Deux plateaux surélevés suffiraient.",
        1,
        "Rue du Stade",
        11000,
    ),
    Idea(
        "Une épicerie solidaire",
        "Un local où les familles en difficulté achètent des produits à petit prix, en lien "
        "avec le CCAS et les producteurs locaux.",
        3,
        "Rue du Général de Gaulle",
        20000,
    ),
    Idea(
        "Un skate-park pour les ados",
        "Les adolescents n'ont pas de lieu à eux. Un petit skate-park près du city-stade leur "
        "donnerait un endroit pour se retrouver.",
        5,
        "Rue des Sports",
        45000,
    ),
    Idea(
        "Restaurer les croix de chemin",
        "Plusieurs croix de chemin sont envahies par la végétation ou abîmées. Un chantier "
        "de bénévoles pourrait les dégager et les entretenir.",
        4,
        "Rue de la Haute-Borne",
        1500,
    ),
)

# Typed in by the front desk from a paper form left at the town hall.
PAPER_IDEA = Idea(
    "Un banc et un abri devant la mairie annexe de Saint-Firmin",
    "Je ne me sers pas d'internet. J'attends souvent le car devant la mairie annexe et il "
    "n'y a ni banc ni abri. Merci de penser aux personnes âgées des hameaux.",
    1,
    "Rue Saint-Firmin",
)
PAPER_AUTHOR = "Simone V."

# Hidden by the moderators (a personal attack), with the public reason below.
HIDDEN_IDEA = Idea(
    "Faire payer les voisins bruyants de la rue des Lilas",
    "Tout le monde sait qui fait du bruit au 12 : il faudrait leur mettre des amendes et "
    "publier leur nom, ils le méritent.",
    0,
    "Rue des Lilas",
)
HIDDEN_REASON = (
    "Cette proposition vise des personnes reconnaissables et contrevient à la charte de "
    "participation."
)

# Official answers (index into TRANSITION_IDEAS → answer, explanation).
TRANSITION_ANSWERS: dict[int, tuple[str, str]] = {
    4: (
        "accepted",
        "La boîte à livres sera installée au printemps dans l'ancienne cabine téléphonique, "
        "restaurée par les services techniques. Merci pour cette idée !",
    ),
    3: (
        "under_study",
        "Les services étudient une extinction de 23 h à 5 h, en gardant les passages "
        "piétons éclairés. Un essai de six mois pourrait commencer à l'automne.",
    ),
    10: (
        "rejected",
        "Le terrain est en zone inondable et le raccordement au réseau serait trop coûteux. "
        "La commune ouvrira les toilettes du club-house les jours de match et d'animation.",
    ),
}

# Feasibility reviews (index → feasible, services' cost, note).
TRANSITION_REVIEWS: dict[int, tuple[str, int | None, str]] = {
    1: (
        "feasible",
        240000,
        "Faisable sur l'accotement nord, à condition d'obtenir la subvention départementale "
        "pour les mobilités douces (50 %). Estimation du bureau d'études.",
    ),
    8: (
        "feasible",
        9500,
        "Remplacement du platelage en chêne et pose d'une main courante par les services "
        "techniques.",
    ),
    10: (
        "not_feasible",
        38000,
        "Zone inondable : construction interdite par le plan de prévention des risques.",
    ),
}

# "Sobriété énergétique" (co-construction of a plan). Categories: 0 bâtiments publics,
# 1 éclairage public, 2 mobilité, 3 logement, 4 alimentation, 5 sensibilisation et partage.
SOBRIETY_IDEAS: tuple[Idea, ...] = (
    Idea(
        "Isoler les combles de l'école",
        "L'école est le bâtiment communal qui consomme le plus de fioul. Isoler les combles "
        "est la mesure la plus rentable : le gain se voit dès le premier hiver.",
        0,
        "Rue des Écoles",
        28000,
    ),
    Idea(
        "Remplacer les lampadaires par des LED à détection",
        "Les vieux lampadaires à sodium consomment beaucoup. Des LED qui baissent l'intensité "
        "quand personne ne passe diviseraient la facture par trois.",
        1,
        "Rue du Général de Gaulle",
        60000,
    ),
    Idea(
        "Chauffer la salle des fêtes seulement quand elle est réservée",
        "Un thermostat programmable relié au planning des réservations éviterait de chauffer "
        "une salle vide toute la semaine.",
        0,
        "Rue Victor Hugo",
        1500,
    ),
    Idea(
        "Des panneaux solaires sur le toit des ateliers municipaux",
        "Le toit des ateliers est grand et bien orienté. L'électricité produite alimenterait "
        "la mairie et l'école voisines.",
        0,
        "Rue de la Mairie",
        55000,
    ),
    Idea(
        "Un thermographe prêté aux habitants",
        "Une caméra thermique empruntable en mairie pour repérer les fuites de chaleur de sa "
        "maison, avec une fiche de conseils.",
        3,
        "Rue des Lilas",
        900,
    ),
    Idea(
        "Des permanences du conseiller France Rénov'",
        "Une permanence mensuelle en mairie pour aider les habitants à monter leurs dossiers "
        "d'aides à la rénovation.",
        3,
        "Rue de la Mairie",
    ),
    Idea(
        "Une cantine avec des produits locaux et de saison",
        "Moins de transport, moins de produits surgelés : la cantine pourrait travailler avec "
        "les fermes des Granges.",
        4,
        "Rue des Écoles",
        5000,
    ),
    Idea(
        "Un défi « familles à énergie positive »",
        "Des équipes de familles qui se lancent le défi de baisser leur consommation de 10 % "
        "pendant un hiver, avec des rencontres pour partager les astuces.",
        5,
        "Rue Jeanne d'Arc",
        1200,
    ),
    Idea(
        "Des vélos électriques en location pour les trajets courts",
        "Deux ou trois vélos électriques louables à la journée à la mairie, pour ceux qui "
        "veulent essayer avant d'acheter.",
        2,
        "Rue de la Poste",
        7000,
    ),
    Idea(
        "Baisser le chauffage des bâtiments communaux à 19 °C",
        "Afficher la température de consigne dans chaque bâtiment et la respecter : c'est "
        "gratuit et c'est un bon exemple.",
        0,
        "Rue de la Mairie",
    ),
    Idea(
        "Un réseau de chaleur au bois pour le bourg",
        "Une chaufferie au bois local alimentant l'école, la mairie et la salle des fêtes, "
        "avec le bois des forêts communales.",
        0,
        "Rue Pasteur",
        420000,
    ),
    Idea(
        "Couper l'éclairage des monuments après minuit",
        "L'église et le monument aux morts sont éclairés toute la nuit : minuit suffit.",
        1,
        "Place de l'Église",
    ),
)

# Proposals born at the workshop, typed in by the participation manager afterwards.
WORKSHOP_IDEAS: tuple[Idea, ...] = (
    Idea(
        "Un inventaire des consommations de chaque bâtiment",
        "Proposé en atelier : relever chaque mois les compteurs des bâtiments communaux et "
        "publier les chiffres, pour savoir où agir en premier.",
        0,
        "Rue de la Mairie",
        2000,
    ),
    Idea(
        "Des rideaux épais dans les classes",
        "Proposé en atelier par des parents : des rideaux isolants dans les classes orientées "
        "au nord, cousus avec l'aide de bénévoles.",
        0,
        "Rue des Écoles",
        1800,
    ),
    Idea(
        "Un groupement d'achat pour l'isolation",
        "Proposé en atelier : regrouper les habitants qui veulent isoler leur maison pour "
        "obtenir de meilleurs prix auprès des artisans.",
        3,
        "Rue de la Croix-Blanche",
    ),
    Idea(
        "Une journée de covoiturage obligatoire pour les agents",
        "Proposé en atelier : inciter les agents communaux à covoiturer un jour par semaine, "
        "avec des places réservées devant la mairie.",
        2,
        "Rue de la Mairie",
        300,
    ),
    Idea(
        "Un atelier « cuisiner sans gaspiller » à la salle des fêtes",
        "Proposé en atelier : des cours de cuisine des restes et de conservation, animés par "
        "la cantinière et des bénévoles.",
        4,
        "Rue Victor Hugo",
        600,
    ),
    Idea(
        "Prêter des wattmètres à la médiathèque",
        "Proposé en atelier : des prises wattmètres empruntables pour mesurer ce que "
        "consomment les appareils en veille.",
        5,
        "Rue Pasteur",
        400,
    ),
)

# The archived call for ideas, a year ago.
RIVERSIDE_IDEAS: tuple[Idea, ...] = (
    Idea(
        "Une aire de pique-nique au bord de l'Aulne",
        "Quelques tables et une poubelle au bout du pré communal, près du gué.",
        0,
        "Rue du Pré Fleuri",
        6000,
    ),
    Idea(
        "Nettoyer les berges chaque printemps",
        "Une journée citoyenne de ramassage des déchets le long de la rivière.",
        2,
        "Rue du Pont",
        300,
    ),
    Idea(
        "Un ponton de pêche accessible en fauteuil",
        "Un ponton avec garde-corps pour que tout le monde puisse pêcher.",
        3,
        "Rue de la Roue",
        18000,
    ),
    Idea(
        "Baliser une boucle de randonnée",
        "Une boucle de 8 km reliant le bourg, le Moulin et les Aulnaies par les bords de l'Aulne.",
        4,
        "Rue des Saules",
        2500,
    ),
    Idea(
        "Un parking au bord de la rivière",
        "Un parking de 30 places près du gué pour les pêcheurs et les promeneurs.",
        1,
        "Rue du Pré Fleuri",
        40000,
    ),
    Idea(
        "Replanter des saules têtards",
        "Les vieux saules têtards disparaissent : en replanter une vingtaine le long des prés.",
        2,
        "Rue des Saules",
        1500,
    ),
)
RIVERSIDE_ANSWERS: tuple[tuple[str, str], ...] = (
    ("accepted", "Deux tables et une poubelle ont été installées en juin près du gué."),
    ("accepted", "La journée de nettoyage a réuni 45 bénévoles en avril."),
    ("under_study", "Le ponton est inscrit au projet de budget de l'an prochain."),
    ("accepted", "La boucle est balisée en jaune depuis l'été ; la carte est en mairie."),
    (
        "rejected",
        "Le pré est en zone humide protégée : un parking y est impossible. Le stationnement "
        "reste possible place du Champ de Foire.",
    ),
    ("accepted", "Vingt saules ont été plantés en novembre avec l'école."),
)

# Comments: (stance, text). Pools by stance, used for proposals without their own thread.
COMMENTS_FOR: tuple[str, ...] = (
    "Très bonne idée, je soutiens !",
    "Enfin ! On en parle depuis des années.",
    "Je suis pour, et je veux bien donner un coup de main.",
    "Cela profiterait à tout le monde, jeunes comme anciens.",
    "Bonne idée, à condition de bien l'entretenir ensuite.",
    "Dans la commune où j'habitais avant, ça marchait très bien.",
    "Oui, et pas seulement dans le bourg : les hameaux aussi en ont besoin.",
    "Idée simple et pas chère, il faut le faire.",
)
COMMENTS_AGAINST: tuple[str, ...] = (
    "Je ne suis pas convaincu : qui va payer l'entretien ?",
    "Il y a d'autres priorités, à mon avis, comme l'état des routes.",
    "Le coût me paraît sous-estimé.",
    "Pas à cet endroit : ça va gêner les riverains.",
    "On a déjà essayé il y a dix ans, ça n'a pas tenu.",
)
COMMENTS_NEUTRAL: tuple[str, ...] = (
    "Est-ce que quelqu'un sait ce que cela coûterait vraiment ?",
    "Il faudrait demander l'avis des riverains d'abord.",
    "Peut-on en parler à la prochaine réunion publique ?",
    "La communauté de communes a peut-être déjà un projet de ce genre.",
    "Bonne question. Il faudrait voir avec les services techniques.",
)
REPLIES: tuple[tuple[str, str], ...] = (
    ("for", "Tout à fait d'accord avec vous."),
    ("neutral", "D'après le bulletin municipal, une partie pourrait être subventionnée."),
    ("against", "Je ne partage pas votre avis, l'entretien serait minime."),
    ("for", "Je confirme, on l'a vu fonctionner ailleurs."),
    ("neutral", "Merci pour la précision."),
)

# A reported comment still waiting for a moderator.
REPORTED_COMMENT = (
    "against",
    "Venez plutôt acheter mes panneaux solaires à prix d'usine, contactez-moi en privé !",
)

# Own threads of the most discussed proposals (index → comments, replies nested by depth).
THREADS: dict[int, tuple[tuple[int, str, str], ...]] = {
    # (depth, stance, text): a comment at depth d answers the last one at depth d-1.
    1: (
        (0, "for", "Mes enfants prennent cette route tous les jours, c'est dangereux."),
        (1, "for", "Pareil pour les miens. Une piste séparée, c'est indispensable."),
        (1, "neutral", "Il faudrait aussi un éclairage, l'hiver il fait nuit à 17 h."),
        (2, "against", "Un éclairage toute la nuit sur 1 km, ce n'est pas très sobre…"),
        (3, "neutral", "Des bornes à détection suffiraient, comme à Void-Vacon."),
        (0, "against", "180 000 €, c'est le budget de voirie de deux ans."),
        (1, "for", "Avec la subvention du Département, la commune n'en paierait que la moitié."),
        (0, "neutral", "Le tracé passerait-il côté champs ou côté maisons ?"),
    ),
    0: (
        (0, "for", "Ma mère ne peut plus faire la promenade faute de pouvoir se reposer."),
        (1, "for", "Des bancs avec accoudoirs, c'est plus facile pour se relever."),
        (0, "neutral", "Attention aux crues : il faudrait les fixer solidement."),
        (0, "for", "Et une ou deux poubelles tant qu'à faire."),
    ),
    3: (
        (0, "for", "Les économies pourraient financer d'autres projets."),
        (0, "against", "Je rentre du travail à minuit, je ne veux pas marcher dans le noir."),
        (1, "neutral", "Une lampe frontale ou l'application d'éclairage à la demande ?"),
        (2, "against", "Ce n'est pas sérieux pour les personnes âgées."),
        (0, "for", "On reverrait enfin les étoiles depuis la Haute-Borne !"),
    ),
    2: (
        (0, "for", "Les enfants adoreraient, et ça apprend d'où viennent les légumes."),
        (1, "neutral", "Qui arrosera pendant les vacances scolaires ?"),
        (2, "for", "Les jardiniers des parcelles, avec un planning partagé."),
        (0, "for", "Je peux donner des semis de tomates anciennes."),
    ),
}

# Opinions on the municipal project: comments of some of them.
OPINION_COMMENTS: dict[str, tuple[str, ...]] = {
    "for": (
        "La place est trop minérale aujourd'hui, des arbres changeraient tout.",
        "Un marché à l'abri sous une halle, c'est ce qui manque au bourg.",
        "Piétonniser le samedi matin, pendant le marché, c'est une évidence.",
        "Enfin un projet pour le centre-bourg !",
    ),
    "against": (
        "Sans stationnement, les commerces vont souffrir.",
        "Le coût est trop élevé pour une commune de notre taille.",
        "Les travaux vont durer des mois et gêner tout le monde.",
    ),
    "abstain": (
        "J'attends de voir les plans détaillés.",
        "Tout dépend de ce qu'on fait du stationnement.",
    ),
}

# Comments on the municipal project page.
PROJECT_COMMENTS: tuple[tuple[str, str], ...] = (
    ("for", "Une halle couverte permettrait d'organiser des fêtes même par mauvais temps."),
    ("against", "Où se gareront les clients de la pharmacie pendant le marché ?"),
    ("neutral", "Les commerçants ont-ils été consultés avant ce projet ?"),
    ("for", "Merci de penser à des bancs à l'ombre, les étés sont de plus en plus chauds."),
    ("neutral", "Y aura-t-il une réunion publique pour présenter les plans ?"),
)

# Free-text answers to the questionnaire's last question (and their tags).
FREE_TEXTS: tuple[tuple[str, str], ...] = (
    ("Gardez quelques places de stationnement minute pour la boulangerie.", "stationnement"),
    ("Il faut absolument des arbres : la place est un four en été.", "végétalisation"),
    ("Pensez aux personnes en fauteuil : pas de pavés glissants.", "accessibilité"),
    ("Une fontaine à boire serait bienvenue pour les enfants.", ""),
    ("Les commerçants doivent être associés au projet dès maintenant.", "commerces"),
    ("Un parking vélo couvert, s'il vous plaît.", "stationnement"),
    ("Prévoir des prises électriques pour les forains du marché.", "commerces"),
    ("Moins de voitures, plus de terrasses !", ""),
    ("Éclairage doux le soir, pas de projecteurs.", ""),
    ("Le marché du samedi doit pouvoir continuer pendant les travaux.", "commerces"),
    ("Des toilettes publiques près de la halle.", "accessibilité"),
    ("Conserver le tilleul centenaire à tout prix.", "végétalisation"),
)
PARKING_TEXTS: tuple[str, ...] = (
    "Sur le parking de l'école, qui est vide le samedi.",
    "Place du Champ de Foire, ce n'est qu'à cinq minutes à pied.",
    "Je viendrais à pied, ce n'est pas un problème.",
    "Rue de la Poste, s'il reste des places.",
    "Nulle part : sans stationnement, je n'irai plus au marché.",
)


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class ParticipationReport:
    processes: int
    proposals: int
    supports: int
    comments: int
    opinions: int
    responses: int
    meetings: int


@dataclass
class _Cast:
    """Who acts in the demo's history."""

    organisation: Organisation
    manager: User
    moderator: User
    front_desk: User
    resident: Participant  # habitant@…, the demo's own resident login
    neighbours: list[Participant]  # every other participant, in a fixed order
    addresses: dict[str, list[Address]]  # street name → its addresses


class _Clock:
    """The instants of the history, all relative to ``now`` (the demo is loaded any day)."""

    def __init__(self, now: datetime) -> None:
        self.now = now.replace(microsecond=0)

    def days_ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def local(self, days: int, hour: int, minute: int = 0) -> datetime:
        """``days`` from today (negative: in the past) at ``hour`` local time."""
        day = timezone.localtime(self.now).date() + timedelta(days=days)
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max((end - start).total_seconds(), 1.0)
    moment = start + timedelta(seconds=rng.uniform(0, span))
    # Residents write in the daytime and the evening: nudge night hours to the evening.
    local = timezone.localtime(moment)
    if local.hour < 7:
        moment += timedelta(hours=13)
    return min(moment.replace(microsecond=0), end)


def _fresh(process: Process) -> Process:
    """The process with its phases prefetched: every rule check reads them."""
    return (
        Process.objects.prefetch_related("phases").select_related("organisation").get(pk=process.pk)
    )


def _shift(process: Process, delta: timedelta) -> None:
    """Move the whole calendar back by ``delta`` (history written while a phase was open)."""
    Phase.objects.filter(process=process).update(
        starts_at=F("starts_at") - delta, ends_at=F("ends_at") - delta
    )


def _audit_at(organisation: Organisation, since: int, when: datetime) -> None:
    """Date the audit events recorded since ``since`` (an event id) at ``when``."""
    AuditEvent.objects.filter(organisation=organisation, pk__gt=since).update(created_at=when)


def _last_audit(organisation: Organisation) -> int:
    return (
        AuditEvent.objects.filter(organisation=organisation)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0
    )


def _cast(organisation: Organisation, *, manager: User, moderator: User, front_desk: User) -> _Cast:
    rng = random.Random(c.SEED + 9)
    agent_emails = {login.email for login in c.demo_logins()}
    resident_email = next(login.email for login in c.demo_logins() if login.role == Role.RESIDENT)
    users = list(
        User.objects.filter(
            role_assignments__organisation=organisation, role_assignments__role=Role.RESIDENT
        )
        .exclude(email__in=agent_emails - {resident_email})
        .order_by("email")
        .distinct()
    )
    homes = dict(
        Place.objects.filter(
            subscriber__organisation=organisation,
            kind=Place.Kind.HOME,
            subscriber__user__isnull=False,
        ).values_list("subscriber__user_id", "address_id")
    )
    streets: dict[str, list[Address]] = {}
    for address in (
        Address.objects.filter(organisation=organisation, street__isnull=False)
        .select_related("street")
        .order_by("pk")
    ):
        assert address.street is not None
        streets.setdefault(address.street.name, []).append(address)
    all_addresses = [a.pk for addresses in streets.values() for a in addresses]
    participants: list[Participant] = []
    resident: Participant | None = None
    for user in users:
        participant = participant_for_user(user=user, organisation=organisation)
        draw = rng.random()
        # Most residents told their year of birth and their address (the statistics per age
        # band and per zone); some kept them to themselves.
        birth_year = _birth_year(rng) if draw < 0.75 else None
        address_id = homes.get(user.pk) or (rng.choice(all_addresses) if draw < 0.85 else None)
        if user.email == resident_email:
            birth_year, address_id = 1986, streets["Rue des Lilas"][3].pk
        if birth_year is not None or address_id is not None:
            participant = participant_profile_update(
                participant=participant,
                display_name=participant.display_name,
                birth_year=birth_year,
                address_id=address_id,
            )
        participant.user = user  # the rule checks read the account: no query each time
        if user.email == resident_email:
            resident = participant
        else:
            participants.append(participant)
    assert resident is not None, "the demo's resident login is missing"
    return _Cast(
        organisation=organisation,
        manager=manager,
        moderator=moderator,
        front_desk=front_desk,
        resident=resident,
        neighbours=participants,
        addresses=streets,
    )


def _birth_year(rng: random.Random) -> int:
    """A year of birth drawn like a village's adults who take part: more of the 40–75s."""
    this_year = timezone.localdate().year
    age = int(rng.triangular(18, 88, 55))
    return this_year - age


def _place(cast: _Cast, rng: random.Random, street: str) -> ProposalPlace:
    return ProposalPlace(address_id=rng.choice(cast.addresses[street]).pk)


def _proposal(
    cast: _Cast,
    rng: random.Random,
    process: Process,
    categories: list[Category],
    idea: Idea,
    author: Participant,
) -> Proposal:
    proposal = proposal_create(
        process=process,
        participant=author,
        data=ProposalInput(
            title=idea.title,
            body=f"<p>{idea.body}</p>",
            category_id=categories[idea.category].pk,
            place=_place(cast, rng, idea.street),
            estimated_cost=Decimal(idea.cost) if idea.cost is not None else None,
        ),
    )
    proposal.process = process
    return proposal


def _on_behalf(
    cast: _Cast,
    rng: random.Random,
    process: Process,
    categories: list[Category],
    idea: Idea,
    *,
    agent: User,
    origin: str,
    name: str,
    contact: str = "",
    meeting: Meeting | None = None,
) -> Proposal:
    proposal = proposal_create_on_behalf(
        process=process,
        agent=agent,
        data=ProposalInput(
            title=idea.title,
            body=f"<p>{idea.body}</p>",
            category_id=categories[idea.category].pk,
            place=_place(cast, rng, idea.street),
            estimated_cost=Decimal(idea.cost) if idea.cost is not None else None,
        ),
        origin=origin,
        resident_name=name,
        contact=contact,
        meeting_id=meeting.pk if meeting is not None else None,
    )
    proposal.process = process
    return proposal


def _supporters(
    rng: random.Random, people: list[Participant], proposal: Proposal, count: int
) -> list[Participant]:
    others = [p for p in people if p.pk != proposal.author_id]
    return rng.sample(others, min(count, len(others)))


def _support_all(
    rng: random.Random,
    proposals: list[Proposal],
    people: list[Participant],
    counts: list[int],
    window: tuple[datetime, datetime],
    now: datetime | None = None,
) -> int:
    """Supports through the service, then dated after their proposal, within ``window``."""
    total = 0
    dated: list[Support] = []
    for proposal, count in zip(proposals, counts, strict=True):
        for participant in _supporters(rng, people, proposal, count):
            if support_add(proposal=proposal, participant=participant, now=now):
                total += 1
        start = max(proposal.created_at, window[0])
        for support in Support.objects.filter(proposal=proposal).order_by("pk"):
            support.created_at = _between(rng, start, window[1])
            dated.append(support)
    Support.objects.bulk_update(dated, ["created_at"], batch_size=500)
    return total


def _long_tail(rng: random.Random, size: int, top: int) -> list[int]:
    """Supports per proposal in rank order: a few popular ones, then a long tail."""
    return [max(0, int(top / (rank + 1) ** 0.85) + rng.randint(-1, 2)) for rank in range(size)]


def _comment(
    participant: Participant,
    subject: Subject,
    stance: str,
    text: str,
    parent: Comment | None = None,
) -> Comment:
    return comment_create(
        participant=participant, subject=subject, body=text, stance=stance, parent=parent
    )


def _threads(
    cast: _Cast,
    rng: random.Random,
    proposals: list[Proposal],
    people: list[Participant],
    *,
    threads: dict[int, tuple[tuple[int, str, str], ...]],
    generic: int,
    window: tuple[datetime, datetime],
) -> list[Comment]:
    """The discussions: own threads for the most debated proposals, a few comments drawn
    from the pools on ``generic`` others; votes on comments; all dated in ``window``."""
    written: list[Comment] = []
    for index, thread in threads.items():
        proposal = proposals[index]
        subject = Subject(proposal=proposal)
        stack: list[Comment] = []
        for depth, stance, text in thread:
            author = rng.choice([p for p in people if p.pk != proposal.author_id])
            parent = stack[depth - 1] if depth else None
            comment = _comment(author, subject, stance, text, parent)
            del stack[depth:]
            stack.append(comment)
            written.append(comment)
    pools = {
        Comment.Stance.FOR: COMMENTS_FOR,
        Comment.Stance.AGAINST: COMMENTS_AGAINST,
        Comment.Stance.NEUTRAL: COMMENTS_NEUTRAL,
    }
    others = [i for i in range(len(proposals)) if i not in threads]
    for index in others[:generic]:
        proposal = proposals[index]
        subject = Subject(proposal=proposal)
        for _n in range(rng.choice((1, 1, 2, 2, 3))):
            stance = rng.choices(list(pools), weights=(6, 2, 3))[0]
            author = rng.choice([p for p in people if p.pk != proposal.author_id])
            comment = _comment(author, subject, stance, rng.choice(pools[stance]))
            written.append(comment)
            if rng.random() < 0.3:
                stance, text = rng.choice(REPLIES)
                replier = rng.choice([p for p in people if p.pk != author.pk])
                written.append(_comment(replier, subject, stance, text, comment))
    for comment in written:
        for voter in rng.sample(people, rng.randint(0, 6)):
            if voter.pk != comment.author_id:
                comment_vote(comment=comment, participant=voter, value=rng.choice((1, 1, 1, -1)))
    _date_comments(rng, written, window)
    return written


def _date_comments(
    rng: random.Random, comments: list[Comment], window: tuple[datetime, datetime]
) -> None:
    """After their subject (or the comment they answer), in the order they were written."""
    dated: dict[int, datetime] = {}
    for comment in comments:
        start = window[0]
        if comment.proposal is not None:
            start = max(start, Proposal.objects.get(pk=comment.proposal.pk).created_at)
        if comment.parent_id is not None and comment.parent_id in dated:
            start = max(start, dated[comment.parent_id])
        moment = _between(rng, start, window[1])
        dated[comment.pk] = moment
        Comment.objects.filter(pk=comment.pk).update(created_at=moment)
        CommentVote.objects.filter(comment=comment).update(created_at=moment + timedelta(hours=5))


def _date_proposals(
    rng: random.Random, proposals: list[Proposal], window: tuple[datetime, datetime]
) -> None:
    moments = sorted(_between(rng, *window) for _p in proposals)
    for proposal, moment in zip(proposals, moments, strict=True):
        Proposal.objects.filter(pk=proposal.pk).update(created_at=moment, updated_at=moment)
        proposal.created_at = moment
        Follow.objects.filter(proposal=proposal).update(created_at=moment)


def _transition(cast: _Cast, clock: _Clock) -> Process:
    """The call for ideas in its proposals phase: ~40 proposals, supports, discussions,
    answers, a paper form, a hidden proposal and a report waiting for the moderators."""
    rng = random.Random(c.SEED + 10)
    organisation = cast.organisation
    opened = clock.days_ago(26)
    since = _last_audit(organisation)
    process = process_from_blueprint(
        organisation=organisation,
        blueprint=Blueprint.IDEAS,
        title="Vaudrecourt en transition",
        starts_at=opened,
        actor=cast.manager,
    )
    process = process_update(
        process=process,
        data=ProcessData(
            title=process.title,
            blueprint=Blueprint.IDEAS,
            slug="vaudrecourt-en-transition",
            summary=(
                "Vos idées pour une commune plus agréable, plus solidaire et plus sobre : "
                "proposez, commentez, soutenez."
            ),
            description=(
                "<p>Le conseil municipal consacre une partie du budget des trois prochaines "
                "années aux idées des habitants. Chacun peut proposer une idée pour la "
                "commune, son quartier ou son hameau, et soutenir celles des autres.</p>"
                "<p>Les propositions qui recueillent <strong>30 soutiens</strong> sont "
                "étudiées par les services, qui publient une réponse à chacune.</p>"
            ),
            support_threshold=30,
        ),
        actor=cast.manager,
    )
    process_publish(process=process, actor=cast.manager)
    _audit_at(organisation, since, opened - timedelta(days=3))
    process = _fresh(process)
    categories = list(process.categories.order_by("position"))
    people = cast.neighbours
    authors = rng.sample(people, len(TRANSITION_IDEAS))
    # The demo's resident wrote the first idea; the association's manager (a resident too)
    # is among the others through the draw.
    authors[0] = cast.resident
    proposals = [
        _proposal(cast, rng, process, categories, idea, author)
        for idea, author in zip(TRANSITION_IDEAS, authors, strict=True)
    ]
    since = _last_audit(organisation)
    paper = _on_behalf(
        cast,
        rng,
        process,
        categories,
        PAPER_IDEA,
        agent=cast.front_desk,
        origin=Proposal.Origin.PAPER,
        name=PAPER_AUTHOR,
        # A landline written on the form (a number reserved for fiction): the agent who
        # answers is asked to call.
        contact="03 53 01 07 52",
    )
    hidden = _proposal(cast, rng, process, categories, HIDDEN_IDEA, rng.choice(people[:40]))
    everything = [*proposals, paper, hidden]
    _date_proposals(rng, everything, (opened + timedelta(hours=10), clock.days_ago(1)))
    _audit_at(organisation, since, paper.created_at + timedelta(minutes=4))
    # Supports: ranked by the order above (the first ideas are the popular ones).
    supporters = [*people, cast.resident]
    counts = _long_tail(rng, len(everything), 62)
    counts[-1] = 2  # the hidden one, before it was hidden
    _support_all(rng, everything, supporters, counts, (opened, clock.now))
    _threads(
        cast,
        rng,
        everything,
        supporters,
        threads=THREADS,
        generic=30,
        window=(opened, clock.now - timedelta(hours=3)),
    )
    # The demo's resident took part in a discussion, and someone answered them.
    subject = Subject(proposal=proposals[2])
    own = _comment(cast.resident, subject, "for", "Je veux bien m'occuper d'une parcelle.")
    reply = _comment(people[5], subject, "for", "Super, on s'organise à la réunion ?", own)
    Comment.objects.filter(pk=own.pk).update(created_at=clock.days_ago(4))
    Comment.objects.filter(pk=reply.pk).update(created_at=clock.days_ago(2))
    # Moderation: the personal attack was reported twice, then hidden with a public reason;
    # a comment advertising a business waits in the queue.
    since = _last_audit(organisation)
    for reporter in rng.sample([p for p in people if p.pk != hidden.author_id], 2):
        report_create(
            reporter=reporter,
            content=Content(proposal=hidden),
            reason=Report.Reason.OFFENSIVE,
            details="Des voisins sont désignés nommément.",
        )
    content_hide(content=Content(proposal=hidden), actor=cast.moderator, reason=HIDDEN_REASON)
    hidden_at = hidden.created_at + timedelta(hours=20)
    Proposal.objects.filter(pk=hidden.pk).update(hidden_at=hidden_at)
    Report.objects.filter(proposal=hidden).update(
        created_at=hidden_at - timedelta(hours=6), decided_at=hidden_at
    )
    _audit_at(organisation, since, hidden_at)
    stance, text = REPORTED_COMMENT
    spam = _comment(people[77], Subject(proposal=proposals[3]), stance, text)
    report_create(
        reporter=people[78],
        content=Content(comment=spam),
        reason=Report.Reason.SPAM,
        details="Publicité pour une entreprise.",
    )
    Comment.objects.filter(pk=spam.pk).update(created_at=clock.days_ago(1.2))
    Report.objects.filter(comment=spam).update(created_at=clock.days_ago(0.9))
    # The services' work: feasibility reviews, then official answers.
    for index, (feasibility, cost, note) in TRANSITION_REVIEWS.items():
        since = _last_audit(organisation)
        proposal_review_feasibility(
            proposal=proposals[index],
            agent=cast.manager,
            feasibility=feasibility,
            services_cost=Decimal(cost) if cost is not None else None,
            note=f"<p>{note}</p>",
        )
        when = clock.days_ago(rng.uniform(3, 6))
        Proposal.objects.filter(pk=proposals[index].pk).update(reviewed_at=when)
        _audit_at(organisation, since, when)
    for index, (answer, text) in TRANSITION_ANSWERS.items():
        since = _last_audit(organisation)
        proposal_answer(
            proposal=proposals[index], agent=cast.manager, answer=answer, text=f"<p>{text}</p>"
        )
        when = clock.days_ago(rng.uniform(1.5, 3))
        Proposal.objects.filter(pk=proposals[index].pk).update(answered_at=when)
        _audit_at(organisation, since, when)
    threshold_at = clock.days_ago(5)
    Proposal.objects.filter(process=process, threshold_reached_at__isnull=False).update(
        threshold_reached_at=threshold_at
    )
    # The demo's resident follows the process and a neighbour's proposal.
    process_follow(participant=cast.resident, process=process)
    follow_add(proposal=proposals[1], participant=cast.resident)
    return process


def _sobriety(cast: _Cast, clock: _Clock) -> Process:
    """The energy-sobriety plan, now in its debate phase: a past workshop with its minutes,
    attendance and the proposals born there; ~20 proposals supported and discussed."""
    rng = random.Random(c.SEED + 11)
    organisation = cast.organisation
    # Written while its proposals phase was open (opened two days before "now"), then the
    # calendar moves back five weeks: the debate phase is the one open today.
    shift = timedelta(weeks=5)
    start = clock.now - timedelta(weeks=6, days=2)
    since = _last_audit(organisation)
    process = process_from_blueprint(
        organisation=organisation,
        blueprint=Blueprint.PLAN,
        title="Sobriété énergétique",
        starts_at=start,
        actor=cast.manager,
    )
    process = process_update(
        process=process,
        data=ProcessData(
            title=process.title,
            blueprint=Blueprint.PLAN,
            slug="sobriete-energetique",
            summary=(
                "Construisons ensemble le plan de sobriété énergétique de la commune : "
                "bâtiments, éclairage, déplacements, habitat."
            ),
            description=(
                "<p>La facture d'énergie de la commune a doublé en trois ans. Avant de "
                "voter son plan de sobriété, le conseil municipal a réuni les habitants en "
                "atelier et recueilli leurs propositions.</p><p>Débattez-en maintenant et "
                "soutenez celles qui vous semblent les plus utiles : le plan sera rédigé à "
                "partir des plus soutenues.</p>"
            ),
        ),
        actor=cast.manager,
    )
    process_publish(process=process, actor=cast.manager)
    _audit_at(organisation, since, start - shift - timedelta(days=4))
    process = _fresh(process)
    categories = list(process.categories.order_by("position"))
    people = cast.neighbours
    authors = rng.sample(people, len(SOBRIETY_IDEAS))
    online = [
        _proposal(cast, rng, process, categories, idea, author)
        for idea, author in zip(SOBRIETY_IDEAS, authors, strict=True)
    ]
    _shift(process, shift)
    process = _fresh(process)
    phases = {phase.type: phase for phase in process.phases.all()}
    workshops = phases[PhaseType.WORKSHOPS]
    proposals_phase = phases[PhaseType.PROPOSALS]
    # The workshop, two weeks into the workshops phase, at the village hall.
    hall = cast.addresses["Rue Victor Hugo"][0]
    day = (timezone.localtime(workshops.starts_at).date() - timezone.localdate(clock.now)).days
    meeting = meeting_create(
        process=process,
        actor=cast.manager,
        data=MeetingData(
            title="Atelier : économiser l'énergie dans nos bâtiments",
            kind=Meeting.Kind.IN_PERSON,
            starts_at=clock.local(day + 16, 18, 30),
            ends_at=clock.local(day + 16, 21, 0),
            description=(
                "Un atelier pour partager le diagnostic énergétique des bâtiments communaux "
                "et imaginer ensemble des pistes d'économies."
            ),
            place_name="Salle des fêtes",
            address_id=hall.pk,
            agenda=(
                "18 h 30 : accueil\n18 h 45 : le diagnostic énergétique, par le bureau "
                "d'études\n19 h 15 : travail en tables rondes\n20 h 30 : restitution"
            ),
            accessibility="Salle de plain-pied, boucle magnétique, places réservées devant.",
            capacity=30,
        ),
    )
    registrants = [*rng.sample(people, 23), cast.resident]
    registrations = []
    for person in registrants:
        at = _between(rng, workshops.starts_at, meeting.starts_at - timedelta(days=1))
        registrations.append(registration_create(meeting=meeting, participant=person, now=at))
        Registration.objects.filter(pk=registrations[-1].pk).update(created_at=at, updated_at=at)
    present = {
        r.pk for r in registrations if rng.random() < 0.8 or r.participant_id == cast.resident.pk
    }
    registrations_mark_attended(meeting=meeting, actor=cast.manager, present=present)
    since = _last_audit(organisation)
    typed_in = [
        _on_behalf(
            cast,
            rng,
            process,
            categories,
            idea,
            agent=cast.manager,
            origin=Proposal.Origin.WORKSHOP,
            name=rng.choice(registrants).display_name,
            meeting=meeting,
        )
        for idea in WORKSHOP_IDEAS
    ]
    typed_at = meeting.ends_at + timedelta(days=2)
    _date_proposals(rng, typed_in, (typed_at, typed_at + timedelta(hours=2)))
    _audit_at(organisation, since, typed_at)
    meeting_minutes_save(
        meeting=meeting,
        actor=cast.manager,
        minutes=(
            "<p>27 personnes ont participé à l'atelier, animé par le bureau d'études "
            "Énergie Lorraine et l'adjointe à l'environnement.</p>"
            "<h3>Le diagnostic</h3><p>L'école et la salle des fêtes représentent les deux "
            "tiers de la consommation des bâtiments communaux ; le chauffage au fioul de "
            "l'école est le premier poste.</p>"
            "<h3>Les pistes retenues par les tables</h3><ul><li>mesurer avant d'agir : "
            "relever les compteurs chaque mois ;</li><li>isoler d'abord les combles de "
            "l'école ;</li><li>mobiliser les habitants : groupement d'achat, prêt "
            "d'appareils de mesure, ateliers.</li></ul>"
            "<p>Les six propositions nées de l'atelier ont été saisies sur la plateforme "
            "pour être débattues avec les autres.</p>"
        ),
        publish=True,
        attendance=27,
    )
    Meeting.objects.filter(pk=meeting.pk).update(minutes_published_at=typed_at)
    everything = [*online, *typed_in]
    _date_proposals(rng, online, (proposals_phase.starts_at, proposals_phase.ends_at))
    # Debate and supports: open today, and supports given during the proposals phase too
    # (``support_add`` at those instants: the proposals phase allowed them).
    supporters = [*people, cast.resident]
    counts = _long_tail(rng, len(everything), 44)
    rng.shuffle(counts)
    _support_all(rng, everything, supporters, counts, (proposals_phase.starts_at, clock.now))
    _threads(
        cast,
        rng,
        everything,
        supporters,
        threads={},
        generic=12,
        window=(proposals_phase.starts_at, clock.now - timedelta(hours=2)),
    )
    process_follow(participant=cast.resident, process=process)
    return process


def _consultation(cast: _Cast, clock: _Clock) -> Process:
    """The consultation on the market square: opinions, comments and ~80 residents'
    answers to a questionnaire using every kind of question; a public meeting to come."""
    rng = random.Random(c.SEED + 12)
    organisation = cast.organisation
    start = clock.now - timedelta(weeks=2, days=12)
    since = _last_audit(organisation)
    process = process_from_blueprint(
        organisation=organisation,
        blueprint=Blueprint.CONSULTATION,
        title="Réaménagement de la place du Marché",
        starts_at=start,
        actor=cast.manager,
    )
    process = process_update(
        process=process,
        data=ProcessData(
            title=process.title,
            blueprint=Blueprint.CONSULTATION,
            slug="place-du-marche",
            summary=(
                "Arbres, halle couverte, stationnement : donnez votre avis sur le projet de "
                "réaménagement de la place du Marché."
            ),
            description=(
                "<p>La place du Marché, devant la mairie, est aujourd'hui un parking. La "
                "municipalité propose de la transformer en place ombragée, avec une halle "
                "couverte pour le marché du samedi.</p><p>Avant l'avant-projet définitif, "
                "elle vous demande votre avis et vos usages de la place.</p>"
            ),
            zones=[],
        ),
        actor=cast.manager,
    )
    process_publish(process=process, actor=cast.manager)
    _audit_at(organisation, since, start - timedelta(days=2))
    process = _fresh(process)
    town_hall = Address.objects.filter(
        organisation=organisation, street__name="Rue de la Mairie", number="12", suffix=""
    ).first()
    project = project_create(
        process=process,
        data=ProjectData(
            title="Une place ombragée et une halle pour le marché",
            description=(
                "<p>Le projet remplace 40 des 55 places de stationnement par un espace "
                "planté de 18 arbres, une fontaine et une halle couverte en bois de 300 m² "
                "pour le marché du samedi et les fêtes du village.</p><p>Quinze places de "
                "stationnement, dont deux pour les personnes handicapées, sont gardées le "
                "long de la rue de la Mairie. Les travaux dureraient huit mois.</p>"
            ),
            cost=Decimal("850000"),
            lat=town_hall.lat + 0.0004 if town_hall else c.CENTRE_LAT,
            lon=town_hall.lon + 0.0006 if town_hall else c.CENTRE_LON,
        ),
    )
    project.process = process
    questionnaire = questionnaire_create(
        process=process,
        data=QuestionnaireData(
            title="Vos usages de la place du Marché",
            description=(
                "<p>Huit questions, cinq minutes : vos réponses aideront l'architecte à "
                "dessiner une place à votre image.</p>"
            ),
            project_id=project.pk,
            results_live=True,
        ),
    )
    questionnaire.process = process
    questions = _questions(questionnaire)
    people = cast.neighbours
    weights = {"for": 55, "against": 28, "abstain": 17}
    for person in rng.sample(people, 92):
        position = rng.choices(list(weights), weights=list(weights.values()))[0]
        comment = rng.choice(OPINION_COMMENTS[position]) if rng.random() < 0.3 else ""
        opinion_give(project=project, participant=person, position=position, comment=comment)
    respondents = rng.sample(people, 84)
    for person in respondents:
        response_submit(
            questionnaire=questionnaire, participant=person, data=_answers(rng, questions)
        )
    window = (start + timedelta(weeks=2, hours=9), clock.now - timedelta(hours=1))
    opinion_rows = list(Opinion.objects.filter(project=project).order_by("pk"))
    for opinion in opinion_rows:
        opinion.created_at = opinion.updated_at = _between(rng, *window)
    Opinion.objects.bulk_update(opinion_rows, ["created_at", "updated_at"], batch_size=500)
    response_rows = list(Response.objects.filter(questionnaire=questionnaire).order_by("pk"))
    for response in response_rows:
        response.submitted_at = response.updated_at = _between(rng, *window)
    Response.objects.bulk_update(response_rows, ["submitted_at", "updated_at"], batch_size=500)
    comments = []
    for stance, text in PROJECT_COMMENTS:
        comments.append(_comment(rng.choice(people), Subject(project=project), stance, text))
    _date_comments(rng, comments, window)
    # The participation manager sorts the free-text answers with tags.
    last = questions.ideas
    for answer in Answer.objects.filter(question=last).select_related("question").order_by("pk"):
        tag = dict(FREE_TEXTS).get(answer.text, "")
        if tag:
            answer_tag_add(answer=answer, name=tag, user=cast.manager)
    # A public meeting to come, full, with a waiting list.
    meeting = meeting_create(
        process=process,
        actor=cast.manager,
        data=MeetingData(
            title="Réunion publique : la place du Marché de demain",
            kind=Meeting.Kind.HYBRID,
            starts_at=clock.local(6, 18, 30),
            ends_at=clock.local(6, 20, 30),
            description=(
                "L'architecte présente les esquisses et les premiers résultats de la "
                "consultation ; questions et échanges avec les élus."
            ),
            place_name="Salle du conseil, mairie",
            address_id=town_hall.pk if town_hall else None,
            online_url="https://visio.vaudrecourt.example/place-du-marche",
            agenda=(
                "18 h 30 : présentation des esquisses\n19 h 00 : résultats de la "
                "consultation\n19 h 20 : questions et échanges"
            ),
            accessibility=(
                "Salle au rez-de-chaussée accessible en fauteuil ; la réunion est sous-titrée "
                "en ligne."
            ),
            capacity=24,
        ),
    )
    for person in [cast.resident, *rng.sample(people, 28)]:
        registration = registration_create(meeting=meeting, participant=person)
        at = _between(rng, clock.days_ago(9), clock.now - timedelta(hours=2))
        Registration.objects.filter(pk=registration.pk).update(created_at=at, updated_at=at)
    return process


@dataclass(frozen=True)
class _Questions:
    frequency: Question
    reasons: Question
    satisfaction: Question
    transport: Question
    parking: Question
    priorities: Question
    matrix: Question
    ideas: Question

    def __iter__(self) -> Any:
        return iter(
            (
                self.frequency,
                self.reasons,
                self.satisfaction,
                self.transport,
                self.parking,
                self.priorities,
                self.matrix,
                self.ideas,
            )
        )


def _questions(questionnaire: Questionnaire) -> _Questions:
    def ask(kind: str, **data: Any) -> Question:
        question = question_create(
            questionnaire=questionnaire, kind=kind, data=QuestionData(**data)
        )
        return Question.objects.prefetch_related("choices", "rows").get(pk=question.pk)

    frequency = ask(
        Question.Kind.SINGLE,
        text="À quelle fréquence venez-vous sur la place du Marché ?",
        required=True,
        choices=["Chaque jour", "Chaque semaine", "Chaque mois", "Rarement ou jamais"],
    )
    reasons = ask(
        Question.Kind.MULTIPLE,
        text="Pour quoi y venez-vous ?",
        help_text="Trois réponses au plus.",
        choices=[
            "Le marché du samedi",
            "Les commerces",
            "La mairie",
            "Me garer",
            "Me promener, rencontrer des voisins",
            "Les fêtes et animations",
        ],
        max_choices=3,
    )
    satisfaction = ask(
        Question.Kind.SCALE,
        text="Êtes-vous satisfait de la place telle qu'elle est aujourd'hui ?",
        required=True,
        scale_min=1,
        scale_max=5,
        scale_min_label="Pas du tout",
        scale_max_label="Tout à fait",
    )
    transport = ask(
        Question.Kind.SINGLE,
        text="Comment venez-vous le plus souvent ?",
        choices=["À pied", "À vélo", "En voiture", "En bus"],
    )
    by_car = [choice.pk for choice in transport.choices.all() if choice.label == "En voiture"]
    parking = ask(
        Question.Kind.TEXT,
        text="Si la place devenait piétonne le samedi matin, où vous gareriez-vous ?",
        help_text="Question posée à celles et ceux qui viennent en voiture.",
        condition_question_id=transport.pk,
        condition_choice_ids=by_car,
    )
    priorities = ask(
        Question.Kind.RANKING,
        text="Classez ces aménagements, du plus important au moins important.",
        choices=[
            "Des arbres et de l'ombre",
            "Des bancs",
            "Une fontaine",
            "Des arceaux à vélos",
            "Des jeux pour enfants",
        ],
    )
    matrix = ask(
        Question.Kind.MATRIX,
        text="Que pensez-vous de ces propositions ?",
        choices=["Favorable", "Sans avis", "Défavorable"],
        rows=[
            "Piétonniser la place le samedi matin",
            "Planter dix-huit arbres",
            "Supprimer 40 places de stationnement",
            "Construire une halle couverte",
        ],
        required=True,
    )
    ideas = ask(Question.Kind.TEXT, text="Une idée, une remarque pour la future place ?")
    return _Questions(
        frequency, reasons, satisfaction, transport, parking, priorities, matrix, ideas
    )


def _pick(rng: random.Random, question: Question, weights: tuple[int, ...]) -> int:
    choices = list(question.choices.all())
    return rng.choices(choices, weights=weights[: len(choices)])[0].pk


def _answers(rng: random.Random, q: _Questions) -> dict[str, list[str]]:
    """One resident's answers, as the form would send them (the form's own field names)."""
    data: dict[str, list[str]] = {
        field_name(q.frequency): [str(_pick(rng, q.frequency, (18, 45, 24, 13)))],
        field_name(q.satisfaction): [str(rng.choices((1, 2, 3, 4, 5), (14, 30, 31, 19, 6))[0])],
    }
    reasons = list(q.reasons.choices.all())
    chosen = rng.sample(reasons, rng.choice((1, 2, 2, 3)))
    chosen = sorted(chosen, key=lambda c: reasons.index(c))
    if rng.random() < 0.65 and reasons[0] not in chosen:
        chosen = [reasons[0], *chosen[:2]]
    data[field_name(q.reasons)] = [str(choice.pk) for choice in chosen]
    transport = _pick(rng, q.transport, (41, 14, 40, 5))
    data[field_name(q.transport)] = [str(transport)]
    by_car = {c.pk for c in q.transport.choices.all() if c.label == "En voiture"}
    if transport in by_car and rng.random() < 0.7:
        data[field_name(q.parking)] = [rng.choice(PARKING_TEXTS)]
    options = list(q.priorities.choices.all())
    if rng.random() < 0.85:
        weights = [9.0, 5.0, 2.5, 3.0, 4.0]
        ranked: list[Choice] = []
        remaining = list(options)
        while remaining:
            pick = rng.choices(remaining, weights=[weights[options.index(o)] for o in remaining])[0]
            ranked.append(pick)
            remaining.remove(pick)
        for rank, option in enumerate(ranked, start=1):
            data[rank_name(q.priorities, option.pk)] = [str(rank)]
    columns = list(q.matrix.choices.all())
    leanings = ((62, 18, 20), (78, 12, 10), (35, 15, 50), (58, 22, 20))
    for row, weights_row in zip(q.matrix.rows.all(), leanings, strict=True):
        column = rng.choices(columns, weights=weights_row)[0]
        data[row_name(q.matrix, row.pk)] = [str(column.pk)]
    if rng.random() < 0.4:
        data[field_name(q.ideas)] = [rng.choice(FREE_TEXTS)[0]]
    return data


def _budget(cast: _Cast, clock: _Clock) -> Process:
    """The next participatory budget: published, every phase to come."""
    start = clock.local(24, 9)
    since = _last_audit(cast.organisation)
    process = process_from_blueprint(
        organisation=cast.organisation,
        blueprint=Blueprint.BUDGET,
        title="Budget participatif 2027",
        starts_at=start,
        actor=cast.manager,
    )
    process = process_update(
        process=process,
        data=ProcessData(
            title=process.title,
            blueprint=Blueprint.BUDGET,
            slug="budget-participatif-2027",
            summary="40 000 € pour des projets proposés et choisis par les habitants.",
            description=(
                "<p>Pour la première fois, la commune confie 40 000 € de son budget "
                "d'investissement aux habitants : proposez des projets d'intérêt général, "
                "les services vérifient leur faisabilité, puis tous les habitants de plus de "
                "11 ans votent.</p>"
            ),
            min_age=11,
        ),
        actor=cast.manager,
    )
    process_publish(process=process, actor=cast.manager)
    _audit_at(cast.organisation, since, clock.days_ago(3))
    return process


def _riverside(cast: _Cast, clock: _Clock) -> Process:
    """A call for ideas of last year, answered and archived."""
    rng = random.Random(c.SEED + 13)
    organisation = cast.organisation
    shift = timedelta(days=400)
    start = clock.now - timedelta(days=10)
    since = _last_audit(organisation)
    process = process_from_blueprint(
        organisation=organisation,
        blueprint=Blueprint.IDEAS,
        title="Les bords de l'Aulne",
        starts_at=start,
        actor=cast.manager,
    )
    process = process_update(
        process=process,
        data=ProcessData(
            title=process.title,
            blueprint=Blueprint.IDEAS,
            slug="bords-de-l-aulne",
            summary="Vos idées pour profiter de la rivière : promenade, pêche, nature.",
            description=(
                "<p>Un appel à idées pour mettre en valeur les bords de l'Aulne. Les "
                "propositions ont été étudiées par les services et la plupart sont déjà "
                "réalisées.</p>"
            ),
        ),
        actor=cast.manager,
    )
    process_publish(process=process, actor=cast.manager)
    process = _fresh(process)
    categories = list(process.categories.order_by("position"))
    people = cast.neighbours
    authors = rng.sample(people, len(RIVERSIDE_IDEAS))
    proposals = [
        _proposal(cast, rng, process, categories, idea, author)
        for idea, author in zip(RIVERSIDE_IDEAS, authors, strict=True)
    ]
    then = (start - shift + timedelta(hours=9), start - shift + timedelta(days=38))
    _date_proposals(rng, proposals, then)
    _support_all(
        rng, proposals, [*people, cast.resident], _long_tail(rng, len(proposals), 30), then
    )
    _threads(cast, rng, proposals, people, threads={}, generic=4, window=then)
    for proposal, (answer, text) in zip(proposals, RIVERSIDE_ANSWERS, strict=True):
        proposal_answer(proposal=proposal, agent=cast.manager, answer=answer, text=f"<p>{text}</p>")
        Proposal.objects.filter(pk=proposal.pk).update(
            answered_at=start - shift + timedelta(days=rng.randint(75, 110))
        )
    _shift(process, shift)
    process_archive(process=process, actor=cast.manager)
    _audit_at(organisation, since, start - shift + timedelta(days=120))
    # Their notifications are a year old and were read long ago.
    Notification.objects.filter(url__in=[proposal_url(p) for p in proposals]).update(
        created_at=start - shift + timedelta(days=100), read_at=start - shift + timedelta(days=101)
    )
    return process


def _date_notifications(organisation: Organisation, resident: Participant, clock: _Clock) -> None:
    """Give each notification the date of what it tells, and mark the older ones read
    (the demo's resident keeps a few unread: the header shows them)."""
    proposals = Proposal.objects.filter(organisation=organisation)
    comments = {
        comment_url(comment): comment.created_at
        for comment in Comment.objects.filter(organisation=organisation).only("pk", "created_at")
    }
    answers = {proposal_url(p): p.answered_at for p in proposals.exclude(answered_at=None)}
    thresholds = {
        proposal_url(p): p.threshold_reached_at
        for p in proposals.exclude(threshold_reached_at=None)
    }
    minutes = {
        meeting_path(m): m.minutes_published_at
        for m in Meeting.objects.filter(organisation=organisation)
        .exclude(minutes_published_at=None)
        .select_related("process")
    }
    hidden = {p.author_id: p.hidden_at for p in proposals.exclude(hidden_at=None)}
    opened: dict[str, datetime] = {}
    for phase in Phase.objects.filter(process__organisation=organisation).select_related("process"):
        if phase.is_open(clock.now):
            url = reverse("participation_processes:detail", kwargs={"slug": phase.process.slug})
            opened[url] = phase.starts_at
    by_kind: dict[str, Mapping[str, datetime | None]] = {
        Notification.Kind.COMMENT: comments,
        Notification.Kind.REPLY: comments,
        Notification.Kind.ANSWER: answers,
        Notification.Kind.THRESHOLD: thresholds,
        Notification.Kind.MEETING: minutes,
        Notification.Kind.PHASE: opened,
    }
    changed = []
    for notification in Notification.objects.filter(organisation=organisation):
        if notification.kind == Notification.Kind.MODERATION:
            when = hidden.get(notification.recipient_id)
        else:
            when = by_kind.get(notification.kind, {}).get(notification.url)
        if when is not None and when < notification.created_at:
            notification.created_at = when + timedelta(minutes=1)
            changed.append(notification)
    Notification.objects.bulk_update(changed, ["created_at"], batch_size=500)
    Notification.objects.filter(
        organisation=organisation, created_at__lt=clock.days_ago(7), read_at=None
    ).exclude(recipient=resident).update(read_at=clock.now)
    keep = list(
        Notification.objects.filter(recipient=resident)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)[:4]
    )
    Notification.objects.filter(recipient=resident, read_at=None).exclude(pk__in=keep).update(
        read_at=clock.now
    )


def demo_participation(
    *,
    organisation: Organisation,
    manager: User,
    moderator: User,
    front_desk: User,
    now: datetime | None = None,
) -> ParticipationReport:
    """Write the commune's co-construction history through the participation services:
    a process in each state (proposals, debate, consultation, to come, archived), about 60
    proposals with their supports and discussions, a municipal project with its opinions
    and questionnaire results, a past workshop with its minutes and a public meeting to come.

    Services date what they write "now"; history is dated afterwards. Expects an atomic
    block (``demo_load``'s)."""
    clock = _Clock(now or timezone.now())
    with translation.override("fr"):
        cast = _cast(organisation, manager=manager, moderator=moderator, front_desk=front_desk)
        _riverside(cast, clock)
        _transition(cast, clock)
        _sobriety(cast, clock)
        _consultation(cast, clock)
        _budget(cast, clock)
        # The periodic task tells followers and authors which phases are open (as a worker
        # would on its first run); phases over before it ran are marked without a notice.
        phases_notify_transitions(now=clock.now)
        _date_notifications(organisation, cast.resident, clock)
    return ParticipationReport(
        processes=Process.objects.filter(organisation=organisation).count(),
        proposals=Proposal.objects.filter(organisation=organisation).count(),
        supports=Support.objects.filter(proposal__organisation=organisation).count(),
        comments=Comment.objects.filter(organisation=organisation).count(),
        opinions=Opinion.objects.filter(project__process__organisation=organisation).count(),
        responses=Response.objects.filter(
            questionnaire__process__organisation=organisation
        ).count(),
        meetings=Meeting.objects.filter(organisation=organisation).count(),
    )
