//! The SDS reliability core (sans-IO).
